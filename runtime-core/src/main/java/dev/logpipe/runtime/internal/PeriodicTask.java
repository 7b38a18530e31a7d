package dev.logpipe.runtime.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * A task run on the worker pool at a fixed rate: runs start at {@code first + k * period}. Runs
 * never overlap: the next run is scheduled when the current one ends. If a run overruns one or
 * more periods, the missed ticks are skipped (no burst of catch-up runs) and the next run starts
 * at the next tick of the original schedule.
 *
 * <p>States: SCHEDULED → RUNNING → SCHEDULED ..., ending in CANCELLED (abort or shutdown: the
 * future completes with a CancellationException) or FAILED (the task threw: the future completes
 * with its exception and no run follows).
 *
 * <p>Threading: thread-safe. The timer thread hands the task to the pool; a worker runs it and
 * schedules the next tick; {@link #cancel(String)} from any thread. No run starts after a
 * successful cancel returns (a run already in progress finishes).
 */
public final class PeriodicTask implements Runnable {

    private static final int SCHEDULED = 0;
    private static final int RUNNING = 1;
    private static final int CANCELLED = 2;
    private static final int FAILED = 3;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(PeriodicTask.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long id;
    private final Runnable body;
    private final String description;
    private final RuntimeFuture<Void> future;
    private final long periodNanos;
    private final TaskTimer timer;
    private final WorkerPool pool;
    private final Consumer<PeriodicTask> onEnd;
    private long firstNanos;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state = SCHEDULED;
    private volatile ScheduledFuture<?> pending;

    public PeriodicTask(long id, Runnable body, String description, RuntimeFuture<Void> future, long periodNanos,
                        TaskTimer timer, WorkerPool pool, Consumer<PeriodicTask> onEnd) {
        this.id = id;
        this.body = body;
        this.description = description;
        this.future = future;
        this.periodNanos = periodNanos;
        this.timer = timer;
        this.pool = pool;
        this.onEnd = onEnd;
    }

    /** Schedules the first run; call once. */
    public void start(long initialDelayNanos) {
        firstNanos = System.nanoTime() + Math.max(0, initialDelayNanos);
        arm(firstNanos);
    }

    private void arm(long atNanos) {
        ScheduledFuture<?> f = timer.schedule(this::handOff, atNanos - System.nanoTime());
        if (f == null) {
            cancel("the runtime is shut down");
            return;
        }
        pending = f;
        if (state == CANCELLED) {
            f.cancel(false); // cancel() raced with arming and may have missed this future
        }
    }

    private void handOff() {
        if (state != SCHEDULED) {
            return;
        }
        try {
            pool.execute(this);
        } catch (RejectedExecutionException e) {
            cancel("the runtime is shut down");
        }
    }

    @Override
    public void run() {
        if (!STATE.compareAndSet(this, SCHEDULED, RUNNING)) {
            return;
        }
        try {
            body.run();
        } catch (Throwable t) {
            if (STATE.compareAndSet(this, RUNNING, FAILED)) {
                future.completeExceptionally(t);
                onEnd.accept(this);
            }
            return;
        }
        if (STATE.compareAndSet(this, RUNNING, SCHEDULED)) {
            long now = System.nanoTime();
            long ticks = Math.floorDiv(now - firstNanos, periodNanos) + 1; // first tick strictly after now
            arm(firstNanos + ticks * periodNanos);
        }
    }

    /** Stops the task: no run starts after this returns true. */
    public boolean cancel(String reason) {
        while (true) {
            int s = state;
            if (s == CANCELLED || s == FAILED) {
                return false;
            }
            if (STATE.compareAndSet(this, s, CANCELLED)) {
                ScheduledFuture<?> f = pending;
                if (f != null) {
                    f.cancel(false);
                }
                future.completeExceptionally(new CancellationException(reason));
                onEnd.accept(this);
                return true;
            }
        }
    }

    public RuntimeFuture<Void> future() {
        return future;
    }

    public long id() {
        return id;
    }

    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return "periodic task #" + id + " (" + description + ")";
    }
}
