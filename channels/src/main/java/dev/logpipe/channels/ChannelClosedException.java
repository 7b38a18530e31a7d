package dev.logpipe.channels;

/**
 * Thrown, or used to fail a {@link java.util.concurrent.CompletionStage}, when an operation cannot
 * complete because the other side of the channel is gone: a watch receiver waiting for a change
 * after all senders closed, a reserve on a closed mpsc, a oneshot receive after the sender closed
 * without sending.
 *
 * <p>Threading: an ordinary exception, thread-safe once constructed.
 */
public class ChannelClosedException extends RuntimeException {
    /** Creates the exception with a message saying what was closed. */
    public ChannelClosedException(String message) {
        super(message);
    }
}
