package dev.logpipe.channels;

/**
 * Room for one value in an {@link Mpsc} channel, reserved in advance: {@link #send} cannot fail.
 * An outstanding permit keeps the receiver from seeing the end of the stream; closing it without
 * sending returns the room to the channel (and to the next waiting sender).
 *
 * <p>Threading: confined — use it from one thread at a time; it may be handed to another thread
 * with a happens-before edge. Happens-before: actions before {@link #send} happen-before the
 * receipt of the value.
 *
 * @param <T> the message type
 */
public interface Permit<T> extends AutoCloseable {
    /**
     * Sends {@code value} into the reserved room. The value is enqueued even if the receiver was
     * closed meanwhile (a closed receiver can still drain what is buffered).
     *
     * @throws IllegalStateException if the permit was already used or closed
     */
    void send(T value);

    /** Returns the reserved room if {@link #send} was not called; idempotent. */
    @Override
    void close();
}
