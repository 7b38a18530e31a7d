package dev.logpipe.channels;

import java.util.concurrent.CompletionStage;

/**
 * A receiving side of a {@link Broadcast} channel, with its own read position.
 *
 * <p>Threading: confined (single consumer): receive from one thread at a time, with at most one
 * receive pending ({@link IllegalStateException} otherwise); {@link #close()} is thread-safe. A
 * receive that had to wait completes on the thread that sent the value (or closed the last
 * sender); non-async continuations run there, so keep them short. Cancelling a pending
 * {@link #recv()} takes nothing. Happens-before: actions before a send happen-before the receipt.
 *
 * @param <T> the message type
 */
public interface BroadcastReceiver<T> extends AutoCloseable {
    /** Returns {@code Value}, {@code Empty}, {@code Lagged(n)} or {@code Closed}. */
    TryRecv<T> tryRecv();

    /** Receives without a thread: {@code Value}, {@code Lagged(n)} or {@code Closed}; never {@code Empty}. */
    CompletionStage<TryRecv<T>> recv();

    /** Receives, parking the thread: {@code Value}, {@code Lagged(n)} or {@code Closed}. */
    TryRecv<T> blockingRecv() throws InterruptedException;

    /** Returns a new receiver of the same channel that sees values sent after this call. */
    BroadcastReceiver<T> resubscribe();

    /** Closes this receiver (idempotent); senders stop counting it. */
    @Override
    void close();
}
