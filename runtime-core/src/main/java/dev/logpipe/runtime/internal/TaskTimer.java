package dev.logpipe.runtime.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The runtime's timer: one thread {@code <prefix>-timer} that only hands due tasks to the worker
 * pool; no user code runs on it.
 *
 * <p>Threading: thread-safe.
 */
public final class TaskTimer {

    private final ScheduledThreadPoolExecutor executor;

    public TaskTimer(String prefix) {
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, prefix + "-timer");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true); // an aborted task must not stay in the timer's heap
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }

    /** Runs {@code handOff} on the timer thread after {@code delayNanos}; null if the timer is shut down. */
    public ScheduledFuture<?> schedule(Runnable handOff, long delayNanos) {
        try {
            return executor.schedule(handOff, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return null;
        }
    }

    public void shutdown() {
        executor.shutdownNow();
    }

}
