package dev.logpipe.channels;

import dev.logpipe.channels.internal.OneshotChannel;
import java.util.Objects;

/**
 * Factory for oneshot channels (Tokio's {@code oneshot}): one value, one sender, one receiver.
 *
 * <p>Happens-before: actions before {@link OneshotSender#send} happen-before the receipt of the
 * value. Threading: the factory is thread-safe; see {@link OneshotSender} and
 * {@link OneshotReceiver}.
 */
public final class Oneshot {
    private Oneshot() {
    }

    /**
     * A sender/receiver pair.
     *
     * @param sender   the sender
     * @param receiver the receiver
     * @param <T>      the value type
     */
    public record Channel<T>(OneshotSender<T> sender, OneshotReceiver<T> receiver) {
        /** Creates the pair; both must be non-null. */
        public Channel {
            Objects.requireNonNull(sender, "sender");
            Objects.requireNonNull(receiver, "receiver");
        }
    }

    /** Creates a oneshot channel. */
    public static <T> Channel<T> channel() {
        return OneshotChannel.create();
    }
}
