package dev.logpipe.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A report that a task has held a worker thread longer than the runtime's blocked-worker
 * threshold, with the worker's stack trace at the time it was noticed.
 *
 * <p>A worker that blocks starves every other task queued behind it; the stack says where it
 * blocks. Move such work to {@link TaskRuntime#spawnBlocking(java.util.concurrent.Callable)}.
 *
 * <p>Threading: an immutable value; thread-safe.
 *
 * @param threadName the worker thread's name, e.g. {@code logpipe-worker-2}
 * @param task       the running task's description (its {@code toString()})
 * @param blockedFor how long the task had been running when noticed
 * @param threshold  the runtime's threshold
 * @param stackTrace the worker's stack, innermost frame first
 */
public record BlockedWorker(String threadName, String task, Duration blockedFor, Duration threshold,
                            List<StackTraceElement> stackTrace) {

    /** Copies the stack trace, so the report stays immutable. */
    public BlockedWorker {
        Objects.requireNonNull(threadName, "threadName");
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(blockedFor, "blockedFor");
        Objects.requireNonNull(threshold, "threshold");
        stackTrace = List.copyOf(stackTrace);
    }

    /** A one-line description that says what happened and what to do. */
    public String message() {
        return threadName + " has been running " + task + " for " + blockedFor.toMillis()
                + " ms (threshold " + threshold.toMillis() + " ms); a worker must never block:"
                + " move blocking work to TaskRuntime.spawnBlocking";
    }
}
