package dev.logpipe.channels;

import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

/**
 * A receiving side of a {@link Watch} channel, with its own seen-version.
 *
 * <p>Threading: confined: use it from one thread at a time, with at most one {@code changed()} or
 * {@code waitFor} pending ({@link IllegalStateException} otherwise); {@link #close()} is
 * thread-safe. A wait that could not complete at once completes on the thread that sent the
 * change, or closed the last sender; non-async continuations run there. Predicates given to
 * {@link #waitFor} run on the caller's thread first, then on the sending threads: keep them
 * short. Cancelling a pending wait marks nothing seen. Happens-before: a sender's actions before an
 * update happen-before this receiver's {@code borrow} that returns that value (or a later one) and
 * the completion of a wait woken by it.
 *
 * @param <T> the value type
 */
public interface WatchReceiver<T> extends AutoCloseable {
    /** Returns the current value without marking it seen; never blocks. */
    T borrow();

    /** Returns the current value and marks it seen. */
    T borrowAndUpdate();

    /** Returns whether a value this receiver has not seen was sent. */
    boolean hasChanged();

    /**
     * Completes (and marks the newest value seen) at once if there is an unseen value, else when
     * one is sent; fails with {@link ChannelClosedException} when every sender is gone and nothing
     * is unseen.
     */
    CompletionStage<Void> changed();

    /** Like {@link #changed()}, parking the thread; throws {@link ChannelClosedException}. */
    void blockingChanged() throws InterruptedException;

    /**
     * Completes with the first value matching {@code p}: the current value first, then each new
     * one (the matching value is marked seen; a cancelled wait marks nothing); fails with
     * {@link ChannelClosedException} when every sender is gone and the current value does not match.
     */
    CompletionStage<T> waitFor(Predicate<? super T> p);

    /** Like {@link #waitFor}, parking the thread; throws {@link ChannelClosedException}. */
    T blockingWaitFor(Predicate<? super T> p) throws InterruptedException;

    /** Returns a new receiver with the same seen-version. */
    WatchReceiver<T> clone();

    /** Closes this receiver (idempotent). */
    @Override
    void close();
}
