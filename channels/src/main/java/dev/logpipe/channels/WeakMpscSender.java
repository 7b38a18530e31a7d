package dev.logpipe.channels;

import java.util.Optional;

/**
 * A weak reference to an {@link Mpsc} channel's senders: it does not keep the channel open, and
 * {@link #upgrade()} gives a counted {@link MpscSender} while at least one sender is still open.
 *
 * <p>Threading: thread-safe; {@link #upgrade()} never waits.
 *
 * @param <T> the message type
 */
public interface WeakMpscSender<T> {
    /** Returns a new counted sender, or empty if every sender was closed or the receiver is closed. */
    Optional<MpscSender<T>> upgrade();
}
