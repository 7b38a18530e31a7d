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
    private static final int WAITING = 0;
    private static final int CLAIMED = 1;
    private static final int ABANDONED = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;

    /** Claims the waiter for completion by the channel; false if the caller withdrew it first. */
    final boolean claim() {
        // cas: the single decision point between the channel and the caller.
        return STATE.compareAndSet(this, WAITING, CLAIMED);
    }

    /** Withdraws the waiter on the channel's behalf (timeout); false if it was already claimed. */
    final boolean abandon() {
        if (STATE.compareAndSet(this, WAITING, ABANDONED)) {
            onAbandon();
            return true;
        }
        return false;
    }

    /** Returns whether the waiter was withdrawn. */
    final boolean isAbandoned() {
        return (int) STATE.getVolatile(this) == ABANDONED;
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
