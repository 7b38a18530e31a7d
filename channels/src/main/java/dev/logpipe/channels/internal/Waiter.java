package dev.logpipe.channels.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;

/**
 * A pending asynchronous channel operation: the future handed to the caller, plus a claim flag
 * that decides, exactly once, whether the channel completes it (claim) or the caller withdraws it
 * (cancel, {@code complete}, {@code completeExceptionally}, {@code orTimeout}...).
 *
 * <p>The channel claims a waiter <em>before</em> it consumes anything on its behalf (takes a value,
 * enqueues its value, hands it units), so a withdrawn operation consumes nothing and loses nothing.
 * Once claimed, the caller's attempts to complete or cancel it return {@code false} and the
 * channel's result wins.
 *
 * <p>Threading: thread-safe.
 */
public abstract class Waiter<R> extends CompletableFuture<R> {
    /** Who decides the outcome: nobody yet, the channel, or the caller. */
    private enum Phase { WAITING, CLAIMED, ABANDONED }

    private static final VarHandle PHASE;

    static {
        try {
            PHASE = MethodHandles.lookup().findVarHandle(Waiter.class, "phase", Phase.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through PHASE
    private volatile Phase phase = Phase.WAITING;

    /** Claims the waiter for completion by the channel; false if the caller withdrew it first. */
    final boolean claim() {
        // cas: the single decision point between the channel and the caller.
        return PHASE.compareAndSet(this, Phase.WAITING, Phase.CLAIMED);
    }

    /** Withdraws the waiter on the channel's behalf (timeout); false if it was already claimed. */
    final boolean abandon() {
        if (PHASE.compareAndSet(this, Phase.WAITING, Phase.ABANDONED)) {
            onAbandon();
            return true;
        }
        return false;
    }

    /** Returns whether the waiter was withdrawn. */
    final boolean isAbandoned() {
        return PHASE.getVolatile(this) == Phase.ABANDONED;
    }

    /** Removes the waiter from the channel's bookkeeping after it was withdrawn. */
    protected abstract void onAbandon();

    /** Completes a claimed waiter with the channel's result. */
    final void finish(R result) {
        super.complete(result);
    }

    /** Completes a claimed waiter exceptionally. */
    final void finishExceptionally(Throwable t) {
        super.completeExceptionally(t);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return abandon() && super.cancel(mayInterruptIfRunning);
    }

    @Override
    public boolean complete(R value) {
        return abandon() && super.complete(value);
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
        return abandon() && super.completeExceptionally(ex);
    }
}
