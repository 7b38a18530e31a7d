package dev.logpipe.channels;

/**
 * The sending side of a {@link Broadcast} channel.
 *
 * <p>Threading: thread-safe. Each {@link #clone()} is a counted handle; receivers see
 * {@link TryRecv.Closed} once every sender handle is closed and they have read what they can.
 * A send completes waiting receives on the sending thread (see {@link BroadcastReceiver}).
 * Happens-before: actions before a send happen-before each receiver's receipt of that value.
 *
 * @param <T> the message type
 */
public interface BroadcastSender<T> extends AutoCloseable, Cloneable {
    /**
     * Sends to every current receiver without waiting, overwriting the oldest value when the ring
     * is full. Returns how many receivers will see it; 0 when there are none, in which case the
     * value was not stored and stays the caller's (also 0 when this handle is closed).
     */
    long send(T value);

    /** Returns a receiver that sees the values sent after this call. */
    BroadcastReceiver<T> subscribe();

    /**
     * Returns a new counted sender handle.
     *
     * @throws IllegalStateException if this handle is closed
     */
    BroadcastSender<T> clone();

    /** Closes this handle (idempotent). */
    @Override
    void close();

    /** Returns the number of open receivers. */
    long receiverCount();
}
