package dev.logpipe.channels;

import dev.logpipe.channels.internal.BroadcastChannel;
import java.util.Objects;

/**
 * Factory for broadcast channels (Tokio's {@code broadcast}): many senders, many receivers, every
 * receiver sees every value sent after it subscribed, unless it falls so far behind that the ring
 * overwrote values it had not read — then it gets {@link TryRecv.Lagged} once and continues from
 * the oldest value still held.
 *
 * <p>Meant for control traffic (shutdown signals, notifications), not a data path: a send takes a
 * short lock. A send never waits, and a slow receiver never slows a sender or another receiver.
 * Happens-before: actions before a send happen-before the receipt of that value by each receiver.
 * Threading: the factory is thread-safe; see {@link BroadcastSender} and {@link BroadcastReceiver}.
 */
public final class Broadcast {
    private Broadcast() {
    }

    /**
     * A sender/receiver pair.
     *
     * @param sender   the first sender handle
     * @param receiver the first receiver
     * @param <T>      the message type
     */
    public record Channel<T>(BroadcastSender<T> sender, BroadcastReceiver<T> receiver) {
        /** Creates the pair; both must be non-null. */
        public Channel {
            Objects.requireNonNull(sender, "sender");
            Objects.requireNonNull(receiver, "receiver");
        }
    }

    /**
     * Creates a channel whose ring holds {@code capacity} values, rounded up to a power of two.
     *
     * @throws IllegalArgumentException if {@code capacity < 1} or above 2^30
     */
    public static <T> Channel<T> channel(int capacity) {
        if (capacity < 1 || capacity > (1 << 30)) {
            throw new IllegalArgumentException("capacity must be in [1, 2^30]: " + capacity);
        }
        return BroadcastChannel.create(capacity);
    }
}
