package dev.logpipe.runtime.internal;

import dev.logpipe.channels.NonBlockingThread;

/**
 * Refuses blocking calls on threads that must never block.
 *
 * <p>Threading: stateless; thread-safe.
 */
public final class ThreadChecks {

    private ThreadChecks() {
    }

    /**
     * Throws IllegalStateException if the calling thread is a {@link NonBlockingThread} (a runtime
     * worker, an event loop). Like {@link NonBlockingThread#check(String)}, with a message that
     * fits waiting on a stage.
     */
    public static void checkMayBlock(String op) {
        Thread t = Thread.currentThread();
        if (t instanceof NonBlockingThread) {
            throw new IllegalStateException(op + " called on non-blocking thread " + t.getName()
                    + "; chain a callback (thenApply, whenComplete) instead, or wait from spawnBlocking");
        }
    }
}
