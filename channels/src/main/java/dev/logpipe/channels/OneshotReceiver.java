package dev.logpipe.channels;

import java.util.concurrent.CompletionStage;

/**
 * The receiving side of a {@link Oneshot} channel.
 *
 * <p>Threading: confined (single consumer); {@link #close()} is thread-safe. A receive that had to
 * wait completes on the thread that sent (or closed the sender); non-async continuations run
 * there. Cancelling a pending {@link #recv()} takes nothing: the value stays for the next receive.
 * Once a value was received, later receives report closed. Happens-before: the sender's actions
 * before {@code send} happen-before the return (or stage completion) of the receive that gets it.
 *
 * @param <T> the value type
 */
public interface OneshotReceiver<T> extends AutoCloseable {
    /** Receives without a thread; fails with {@link ChannelClosedException} if the sender closed without sending. */
    CompletionStage<T> recv();

    /** Receives, parking the thread; throws {@link ChannelClosedException} if the sender closed without sending. */
    T blockingRecv() throws InterruptedException, ChannelClosedException;

    /** Returns {@code Value}, {@code Empty} (nothing yet) or {@code Closed} (sender gone without sending, or value already taken). */
    TryRecv<T> tryRecv();

    /** Closes the receiver (idempotent): later sends fail; a value sent before can still be read. */
    @Override
    void close();
}
