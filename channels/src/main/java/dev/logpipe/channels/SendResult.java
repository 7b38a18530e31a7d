package dev.logpipe.channels;

import java.util.Objects;

/**
 * The outcome of a send: {@link Sent}, or a failure that hands the value back
 * ({@link Full}, {@link Closed}, {@link TimedOut}).
 *
 * <p>Threading: immutable values, safe to share.
 *
 * @param <T> the message type
 */
public sealed interface SendResult<T>
        permits SendResult.Sent, SendResult.Full, SendResult.Closed, SendResult.TimedOut {

    /** Returns whether the value was sent (handed over to the channel). */
    default boolean isSent() {
        return this instanceof Sent;
    }

    /** Returns the shared {@link Sent} instance. */
    @SuppressWarnings("unchecked")
    static <T> SendResult<T> sent() {
        return (SendResult<T>) Sent.INSTANCE;
    }

    /** The value was accepted by the channel. */
    record Sent<T>() implements SendResult<T> {
        private static final Sent<Object> INSTANCE = new Sent<>();
    }

    /** The channel had no room; the value is handed back. */
    record Full<T>(T value) implements SendResult<T> {
        /** Creates the result; {@code value} must not be null. */
        public Full {
            Objects.requireNonNull(value, "value");
        }
    }

    /** The channel is closed (no receiver will read it); the value is handed back. */
    record Closed<T>(T value) implements SendResult<T> {
        /** Creates the result; {@code value} must not be null. */
        public Closed {
            Objects.requireNonNull(value, "value");
        }
    }

    /** The channel stayed full for the whole timeout; the value is handed back. */
    record TimedOut<T>(T value) implements SendResult<T> {
        /** Creates the result; {@code value} must not be null. */
        public TimedOut {
            Objects.requireNonNull(value, "value");
        }
    }
}
