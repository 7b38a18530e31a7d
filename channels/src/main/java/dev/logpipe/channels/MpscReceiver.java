package dev.logpipe.channels;

import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The receiving side of an {@link Mpsc} channel.
 *
 * <p>Threading: single consumer — the receive operations ({@code tryRecv}, {@code recv},
 * {@code recvMany} and their blocking forms) must be called by one thread at a time, and at most
 * one asynchronous receive may be pending (another receive while one is pending throws
 * {@link IllegalStateException}). {@link #close()}, {@link #isClosed()}, {@link #len()} and the
 * capacity methods are thread-safe.
 *
 * <p>Which thread completes the stages: a receive that finds a value (or the end of the stream)
 * completes on the caller's thread before returning. A receive that had to wait completes on the
 * thread that woke it: the sender whose value arrived, or the thread that closed the last sender,
 * closed the receiver or closed a {@link Permit}. That thread has taken the value on the
 * receiver's behalf; continuations attached with non-async {@code thenX} run there, so keep them
 * short and non-blocking or use {@code thenXAsync}. Cancelling a pending receive takes nothing:
 * the value stays for the next receive.
 *
 * <p>End of stream: the channel is closed (every sender closed, or this receiver closed) and
 * empty and no {@link Permit} is outstanding. Happens-before: actions of a sender before a
 * successful send happen-before the return (or stage completion) of the receive that gets it.
 *
 * @param <T> the message type
 */
public interface MpscReceiver<T> extends AutoCloseable {

    /** Takes the next value if there is one: {@code Value}, {@code Empty}, or {@code Closed} at end of stream. */
    TryRecv<T> tryRecv();

    /** Receives the next value, waiting without a thread; completes empty at end of stream. */
    CompletionStage<Optional<T>> recv();

    /** Receives the next value, parking the thread; empty at end of stream. */
    Optional<T> blockingRecv() throws InterruptedException;

    /**
     * Appends 1 to {@code limit} values to {@code buf}, waiting without a thread while empty;
     * completes with the number appended, 0 only at end of stream. {@code buf} is written by the
     * thread that completes the stage and must not be touched until it completes.
     *
     * @throws IllegalArgumentException if {@code limit < 1}
     */
    CompletionStage<Integer> recvMany(Collection<? super T> buf, int limit);

    /**
     * Appends 1 to {@code limit} values to {@code buf}, parking while empty; returns the number
     * appended, 0 only at end of stream.
     *
     * @throws IllegalArgumentException if {@code limit < 1}
     */
    int blockingRecvMany(Collection<? super T> buf, int limit) throws InterruptedException;

    /**
     * Closes the channel for sending (idempotent): new sends fail with {@code Closed(v)}, waiting
     * senders complete with {@code Closed(v)}, what is buffered can still be drained, and a
     * parked receive is woken.
     */
    @Override
    void close();

    /** Returns whether the channel is closed (receiver closed or every sender closed). */
    boolean isClosed();

    /** Returns the number of values buffered now (including ones being enqueued). */
    long len();

    /** Returns the room free now, in units. */
    long capacity();

    /** Returns the channel's capacity in units ({@link Long#MAX_VALUE} for unbounded). */
    long maxCapacity();
}
