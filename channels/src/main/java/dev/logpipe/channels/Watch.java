package dev.logpipe.channels;

import dev.logpipe.channels.internal.WatchChannel;
import java.util.Objects;

/**
 * Factory for watch channels (Tokio's {@code watch}): one current value, many readers that care
 * only about the latest. The value is an immutable snapshot behind a volatile reference with a
 * version, so reading never blocks a sender; each receiver remembers the version it has seen.
 *
 * <p>Happens-before: actions before a send happen-before a {@code borrow} that returns that value
 * (or a later one). Values should be immutable: receivers share them. Threading: the factory is
 * thread-safe; see {@link WatchSender} and {@link WatchReceiver}.
 */
public final class Watch {
    private Watch() {
    }

    /**
     * A sender/receiver pair.
     *
     * @param sender   the first sender handle
     * @param receiver the first receiver
     * @param <T>      the value type
     */
    public record Channel<T>(WatchSender<T> sender, WatchReceiver<T> receiver) {
        /** Creates the pair; both must be non-null. */
        public Channel {
            Objects.requireNonNull(sender, "sender");
            Objects.requireNonNull(receiver, "receiver");
        }
    }

    /** Creates a channel holding {@code initial}; the first receiver has seen it. */
    public static <T> Channel<T> channel(T initial) {
        Objects.requireNonNull(initial, "initial");
        return WatchChannel.create(initial);
    }
}
