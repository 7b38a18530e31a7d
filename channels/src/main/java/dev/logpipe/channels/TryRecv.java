package dev.logpipe.channels;

import java.util.Objects;

/**
 * The outcome of a receive: a {@link Value}, {@link Empty} (nothing now), {@link Closed}
 * (nothing ever again) or, for broadcast only, {@link Lagged} (values this receiver had not read
 * were overwritten).
 *
 * <p>Threading: immutable values, safe to share.
 *
 * @param <T> the message type
 */
public sealed interface TryRecv<T>
        permits TryRecv.Value, TryRecv.Empty, TryRecv.Closed, TryRecv.Lagged {

    /** Returns the shared {@link Empty} instance. */
    @SuppressWarnings("unchecked")
    static <T> TryRecv<T> empty() {
        return (TryRecv<T>) Empty.INSTANCE;
    }

    /** Returns the shared {@link Closed} instance. */
    @SuppressWarnings("unchecked")
    static <T> TryRecv<T> closed() {
        return (TryRecv<T>) Closed.INSTANCE;
    }

    /** A received value. */
    record Value<T>(T value) implements TryRecv<T> {
        /** Creates the result; {@code value} must not be null. */
        public Value {
            Objects.requireNonNull(value, "value");
        }
    }

    /** Nothing to receive now; the channel is still open. */
    record Empty<T>() implements TryRecv<T> {
        private static final Empty<Object> INSTANCE = new Empty<>();
    }

    /** Nothing to receive, ever again: the channel is closed and drained. */
    record Closed<T>() implements TryRecv<T> {
        private static final Closed<Object> INSTANCE = new Closed<>();
    }

    /**
     * Broadcast only: {@code skipped} values this receiver had not read were overwritten; the next
     * receive continues with the oldest value still held.
     */
    record Lagged<T>(long skipped) implements TryRecv<T> {
        /** Creates the result; {@code skipped} must be positive. */
        public Lagged {
            if (skipped <= 0) {
                throw new IllegalArgumentException("skipped must be positive: " + skipped);
            }
        }
    }
}
