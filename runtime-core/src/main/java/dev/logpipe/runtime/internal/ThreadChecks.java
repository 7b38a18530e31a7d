package dev.logpipe.runtime.internal;

/**
 * Refuses blocking calls on threads that must never block.
 *
 * <p>Threading: stateless; thread-safe.
 */
public final class ThreadChecks {

    private ThreadChecks() {
    }

    /** Throws IllegalStateException if the calling thread is a runtime worker. */
    public static void checkMayBlock(String op) {
        Thread t = Thread.currentThread();
        if (t instanceof WorkerThread) {
            throw new IllegalStateException(op + " called on non-blocking thread " + t.getName()
                    + "; chain a callback on the stage instead");
        }
    }
}
