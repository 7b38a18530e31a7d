package dev.logpipe.channels;

import dev.logpipe.channels.internal.MpscChannel;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * Factories for multi-producer single-consumer FIFO channels (Tokio's {@code mpsc}).
 *
 * <p>Threading: the factories are thread-safe. The {@link MpscSender} is thread-safe; the
 * {@link MpscReceiver} is single consumer. Happens-before: whatever a sender wrote before a
 * successful send (or {@link Permit#send}) is visible to the thread that receives that value.
 *
 * <p>The send path takes no lock while the channel has room: capacity is a counter acquired with
 * a CAS, the value goes into a lock-free queue, and the receiver is woken only when it has
 * published that it is parking. Senders wait (in arrival order, under a lock) only when the
 * channel is full.
 */
public final class Mpsc {
    private Mpsc() {
    }

    /**
     * A sender/receiver pair.
     *
     * @param sender   the first sender handle (clone it for more)
     * @param receiver the one receiver
     * @param <T>      the message type
     */
    public record Channel<T>(MpscSender<T> sender, MpscReceiver<T> receiver) {
        /** Creates the pair; both must be non-null. */
        public Channel {
            Objects.requireNonNull(sender, "sender");
            Objects.requireNonNull(receiver, "receiver");
        }
    }

    /**
     * Creates a channel that holds at most {@code capacity} values.
     *
     * @throws IllegalArgumentException if {@code capacity < 1}
     */
    public static <T> Channel<T> bounded(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        return MpscChannel.bounded(capacity);
    }

    /**
     * Creates a channel bounded by the sum of its values' weights: each value weighs
     * {@code weigher.applyAsLong(v)} clamped to {@code [1, capacity]}. The weigher is called on the
     * sending thread and again on the receiving thread; it must be cheap, must not block and must
     * return the same weight for the same value.
     *
     * <p>A {@link Permit} reserves one unit; {@link Permit#send} charges the rest of the value's
     * weight at once, even if that briefly takes the channel over its capacity.
     *
     * @throws IllegalArgumentException if {@code capacity < 1} or above 2^61
     */
    public static <T> Channel<T> weighted(long capacity, ToLongFunction<? super T> weigher) {
        if (capacity < 1 || capacity > MpscChannel.MAX_WEIGHTED_CAPACITY) {
            throw new IllegalArgumentException("capacity must be in [1, 2^61]: " + capacity);
        }
        Objects.requireNonNull(weigher, "weigher");
        return MpscChannel.weighted(capacity, weigher);
    }

    /** Creates a channel without a bound: sends never wait and fail only when it is closed. */
    public static <T> Channel<T> unbounded() {
        return MpscChannel.unbounded();
    }
}
