package dev.logpipe.channels;

/**
 * A marker for {@link Thread} subclasses that must never block: runtime workers, Netty event
 * loops. Every {@code blockingX} method of the channels calls {@link #check(String)} first, so a
 * blocking call made on such a thread by mistake fails loudly instead of hanging the pool.
 *
 * <p>Threading: a marker; {@link #check(String)} is thread-safe.
 */
public interface NonBlockingThread {

    /**
     * Throws {@link IllegalStateException} when the current thread is a {@code NonBlockingThread}.
     *
     * @param op the name of the blocking operation, e.g. {@code "blockingRecv"}; the message
     *           suggests the asynchronous form ({@code recv()})
     */
    static void check(String op) {
        Thread t = Thread.currentThread();
        if (t instanceof NonBlockingThread) {
            throw new IllegalStateException(op + " called on non-blocking thread " + t.getName()
                    + "; use " + asyncForm(op) + "()");
        }
    }

    private static String asyncForm(String op) {
        if (op.startsWith("blocking") && op.length() > "blocking".length()) {
            String rest = op.substring("blocking".length());
            return Character.toLowerCase(rest.charAt(0)) + rest.substring(1);
        }
        return "the asynchronous form of " + op;
    }
}
