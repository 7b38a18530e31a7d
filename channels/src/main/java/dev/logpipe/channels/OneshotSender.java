package dev.logpipe.channels;

import java.util.concurrent.CompletionStage;

/**
 * The sending side of a {@link Oneshot} channel.
 *
 * <p>Threading: thread-safe, but only one {@link #send} can succeed. A send completes a waiting
 * receive on the sending thread (its non-async continuations run there). {@link #closed()}
 * completes on the thread that closed the receiver (or at once if it already was).
 * Happens-before: actions before a successful {@link #send} happen-before the receipt of the value.
 *
 * @param <T> the value type
 */
public interface OneshotSender<T> extends AutoCloseable {
    /**
     * Stores the value and wakes the receiver: {@code Sent} (which does not mean it will be read),
     * or {@code Closed(v)} if the receiver is closed, a value was already sent or this sender is
     * closed.
     */
    SendResult<T> send(T value);

    /** A stage that completes when the receiver is closed, so work for it can be abandoned. */
    CompletionStage<Void> closed();

    /** Returns whether the receiver is closed. */
    boolean isClosed();

    /** Closes the sender (idempotent); without a prior send the receiver gets {@link ChannelClosedException}. */
    @Override
    void close();
}
