package dev.logpipe.channels;

import java.util.concurrent.CompletionStage;
import java.util.function.UnaryOperator;

/**
 * The sending side of a {@link Watch} channel.
 *
 * <p>Threading: thread-safe; updates from several senders are serialised by a short lock that
 * readers never take. A send completes the receivers' waiting {@code changed()}/{@code waitFor}
 * stages on the sending thread: their non-async continuations run there. The functions given to
 * {@link #sendModify}/{@link #sendIfModified} run under that lock on the calling thread: keep them
 * short, and do not call back into the channel from them. Each {@link #clone()} is counted;
 * when every sender is closed, receivers' waits fail with {@link ChannelClosedException}.
 * Happens-before: actions before an update happen-before any {@code borrow} (by any receiver or
 * sender) that returns the new value or a later one, and the completion of waits it wakes.
 *
 * @param <T> the value type
 */
public interface WatchSender<T> extends AutoCloseable, Cloneable {
    /** Replaces the value and wakes receivers: {@code Sent}, or {@code Closed(v)} (not stored) with no receivers. */
    SendResult<T> send(T value);

    /** Replaces the value even with no receivers; returns the old value. */
    T sendReplace(T value);

    /** Replaces the value with {@code f(current)} even with no receivers, and wakes receivers. */
    void sendModify(UnaryOperator<T> f);

    /**
     * Applies {@code f} to the current value; {@code f} returns the new value, or the very same
     * instance to say "not modified". Bumps the version and wakes receivers only when modified.
     * Works with no receivers. Returns whether it modified.
     */
    boolean sendIfModified(UnaryOperator<T> f);

    /** Returns a receiver that starts with the current value marked seen. */
    WatchReceiver<T> subscribe();

    /** Returns the current value; never blocks. */
    T borrow();

    /**
     * Returns a new counted sender handle.
     *
     * @throws IllegalStateException if this handle is closed
     */
    WatchSender<T> clone();

    /** Closes this handle (idempotent). */
    @Override
    void close();

    /** A stage that completes when no receiver is left (on the thread that closed the last one). */
    CompletionStage<Void> closed();

    /** Returns the number of open receivers. */
    long receiverCount();
}
