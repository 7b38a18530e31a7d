package dev.logpipe.channels;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The sending side of an {@link Mpsc} channel.
 *
 * <p>Threading: thread-safe; any number of threads may send through one handle. Each
 * {@link #clone()} is a counted handle of its own; the receiver sees the end of the stream once
 * every sender handle is closed and the buffered values are drained. Closing one handle does not
 * affect the others; sending through a closed handle returns {@link SendResult.Closed}.
 *
 * <p>Which thread completes the stages: a stage that can complete at once completes on the
 * caller's thread before the method returns. A send or reserve that had to wait completes on the
 * thread that made room — normally the receiver's thread as it takes values, or the thread that
 * closed a {@link Permit}, cancelled another waiter or closed the receiver — and a
 * {@link #sendTimeout} that times out completes on the channels' timer thread
 * ({@code logpipe-channel-timer}). Continuations attached with the non-async {@code thenX}
 * methods run on that thread: keep them short and non-blocking, or use the {@code thenXAsync}
 * forms with an executor.
 *
 * <p>Waiting senders are served in arrival order; {@link #trySend} does not barge past them.
 * Cancelling a pending send's future (before it completes) withdraws it: the value is not
 * enqueued. Happens-before: actions before a successful send happen-before the receipt of the
 * value.
 *
 * @param <T> the message type
 */
public interface MpscSender<T> extends AutoCloseable, Cloneable {

    /** Sends at once if there is room: {@code Sent}, {@code Full(v)} or {@code Closed(v)}. */
    SendResult<T> trySend(T value);

    /**
     * Sends, waiting without a thread while the channel is full. Completes with {@code Sent} or
     * {@code Closed(v)}; never fails exceptionally.
     */
    CompletionStage<SendResult<T>> send(T value);

    /** Sends, parking the calling thread while the channel is full: {@code Sent} or {@code Closed(v)}. */
    SendResult<T> blockingSend(T value) throws InterruptedException;

    /** Like {@link #send} but completes with {@code TimedOut(v)} if the channel stays full for {@code timeout}. */
    CompletionStage<SendResult<T>> sendTimeout(T value, Duration timeout);

    /** Like {@link #blockingSend} but returns {@code TimedOut(v)} if the channel stays full for {@code timeout}. */
    SendResult<T> blockingSendTimeout(T value, Duration timeout) throws InterruptedException;

    /**
     * Reserves room for one value, waiting without a thread while full. The stage fails with
     * {@link ChannelClosedException} if the channel is closed. Cancelling the pending stage
     * withdraws the reservation.
     */
    CompletionStage<Permit<T>> reserve();

    /** Reserves room for one value, parking while full; throws {@link ChannelClosedException} if closed. */
    Permit<T> blockingReserve() throws InterruptedException;

    /** Reserves room for one value if there is room now (and no sender is waiting); empty otherwise or if closed. */
    Optional<Permit<T>> tryReserve();

    /**
     * Returns a new counted sender handle for the same channel.
     *
     * @throws IllegalStateException if this handle is closed
     */
    MpscSender<T> clone();

    /** Returns a weak handle that does not keep the channel open. */
    WeakMpscSender<T> downgrade();

    /** Closes this handle (idempotent); the last one closed ends the stream for the receiver. */
    @Override
    void close();

    /** A stage that completes when the receiver is closed: work meant for it can be abandoned. */
    CompletionStage<Void> closed();

    /** Returns whether the channel is closed for sending (receiver closed or this handle closed). */
    boolean isClosed();

    /** Returns the room free now, in units (values for {@link Mpsc#bounded}). */
    long capacity();

    /** Returns the channel's capacity in units ({@link Long#MAX_VALUE} for unbounded). */
    long maxCapacity();
}
