package dev.logpipe.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link TaskRuntime#shutdown(Duration)} left behind: the tasks it cancelled before they
 * started, and the tasks still running when the timeout expired, with the threads running them.
 *
 * <p>Threading: an immutable value; thread-safe.
 *
 * @param cancelled    tasks that had not started (queued blocking tasks, queued worker tasks,
 *                     pending delayed and periodic tasks); their handles completed as cancelled
 * @param stillRunning tasks still running when the timeout expired; their threads were not
 *                     interrupted, and their handles complete whenever the tasks finish
 * @param elapsed      how long the shutdown took
 */
public record ShutdownReport(List<TaskInfo> cancelled, List<TaskInfo> stillRunning, Duration elapsed) {

    /** Copies the lists, so the report stays immutable. */
    public ShutdownReport {
        cancelled = List.copyOf(cancelled);
        stillRunning = List.copyOf(stillRunning);
        Objects.requireNonNull(elapsed, "elapsed");
    }

    /** Whether every task that had started finished before the timeout. */
    public boolean finishedInTime() {
        return stillRunning.isEmpty();
    }

    /** What kind of work a {@link TaskInfo} describes. Threading: an enum; thread-safe. */
    public enum TaskKind {
        /** A task from {@link TaskRuntime#spawn(java.util.concurrent.Callable)}. */
        WORKER,
        /** A task from {@link TaskRuntime#spawnBlocking(java.util.concurrent.Callable)}. */
        BLOCKING,
        /** A task from {@link TaskRuntime#spawnAfter(Duration, java.util.concurrent.Callable)}. */
        DELAYED,
        /** A task from {@link TaskRuntime#spawnAtFixedRate(Duration, Duration, Runnable)}. */
        PERIODIC,
        /** A stage continuation or a runnable given to {@link TaskRuntime#workerExecutor()}. */
        CONTINUATION
    }

    /**
     * One task named in a report.
     *
     * <p>Threading: an immutable value; thread-safe.
     *
     * @param id         the runtime's sequence number for the task (-1 for continuations)
     * @param kind       how it was spawned
     * @param task       the task's {@code toString()}
     * @param threadName the thread running it, empty if it had not started
     */
    public record TaskInfo(long id, TaskKind kind, String task, Optional<String> threadName) {
        /** Checks the components. */
        public TaskInfo {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(task, "task");
            Objects.requireNonNull(threadName, "threadName");
        }
    }
}
