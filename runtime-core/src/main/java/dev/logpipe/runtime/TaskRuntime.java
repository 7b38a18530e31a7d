package dev.logpipe.runtime;

import dev.logpipe.runtime.ShutdownReport.TaskInfo;
import dev.logpipe.runtime.ShutdownReport.TaskKind;
import dev.logpipe.runtime.internal.BlockingPool;
import dev.logpipe.runtime.internal.PeriodicTask;
import dev.logpipe.runtime.internal.RuntimeFuture;
import dev.logpipe.runtime.internal.TaskCell;
import dev.logpipe.runtime.internal.TaskTimer;
import dev.logpipe.runtime.internal.ThreadChecks;
import dev.logpipe.runtime.internal.Watchdog;
import dev.logpipe.runtime.internal.WorkerPool;
import dev.logpipe.runtime.internal.WorkerThread;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Tokio-style runtime: a fixed pool of worker threads for tasks that never block, a bounded
 * pool of threads for blocking calls, a timer, and a blocked-worker watchdog.
 *
 * <ul>
 *   <li><b>Workers</b> ({@code <prefix>-worker-N}, one per core by default) run {@link #spawn}
 *   tasks, timer tasks and stage continuations from one FIFO queue. They must never block:
 *   they implement {@link dev.logpipe.channels.NonBlockingThread}, so blocking calls made on
 *   them by mistake ({@link JoinHandle#join()}, the channels' {@code blockingX} methods) throw
 *   IllegalStateException instead of hanging the pool.</li>
 *   <li><b>Blocking pool</b> ({@code <prefix>-blocking-N}) runs {@link #spawnBlocking} tasks. It
 *   behaves like Tokio's: an idle thread takes the next task before a new thread is made; new
 *   threads are made on demand only when none is idle, up to {@code maxBlockingThreads}; an idle
 *   thread exits after {@code blockingKeepAlive}; when all are busy at the maximum, tasks queue.</li>
 *   <li><b>Timer</b> ({@code <prefix>-timer}) hands {@link #spawnAfter} and
 *   {@link #spawnAtFixedRate} tasks to the workers when due; no task runs on it.</li>
 *   <li><b>Watchdog</b> ({@code <prefix>-watchdog}) reports, with its stack, any worker that has
 *   been running one task longer than {@code blockedWorkerThreshold}.</li>
 * </ul>
 * All runtime threads are daemon threads: keep the process alive with your own thread (or wait
 * on your handles) and shut the runtime down before you exit.
 *
 * <p>A task that throws completes its handle exceptionally; the thread and the runtime go on.
 *
 * <p>Threading: thread-safe. Every method may be called from any thread, except
 * {@link #shutdown(Duration)} and {@link #close()}, which wait and so are refused on
 * non-blocking threads (channels' {@code NonBlockingThread}: runtime workers, event loops).
 * Callbacks on handles run as {@link JoinHandle} describes.
 *
 * <p>Example:
 * <pre>{@code
 * try (TaskRuntime rt = TaskRuntime.builder().threadNamePrefix("ingest").build()) {
 *     JoinHandle<Long> size = rt.spawnBlocking(() -> Files.size(path));
 *     size.thenAccept(n -> log("size " + n));   // runs on an ingest-worker-N thread
 * }
 * }</pre>
 */
public final class TaskRuntime implements AutoCloseable {

    /** The timeout {@link #close()} gives running tasks. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

    private static final System.Logger LOG = System.getLogger("dev.logpipe.runtime");
    private static final String SHUT_DOWN = "the runtime is shut down";

    private final WorkerPool workers;
    private final BlockingPool blocking;
    private final TaskTimer timer;
    private final Watchdog watchdog;
    private final AtomicLong nextTaskId = new AtomicLong(1);
    private final Set<TaskCell<?>> pendingDelayed = ConcurrentHashMap.newKeySet();
    private final Set<PeriodicTask> periodic = ConcurrentHashMap.newKeySet();
    /** Notified after each run while shutting down, so shutdown wakes up as soon as all is quiet. */
    private final Object quiet = new Object();
    private final Object shutdownLock = new Object();
    private final Executor workerExecutor;
    private volatile boolean accepting = true;
    private volatile boolean draining;
    private ShutdownReport report; // guarded by shutdownLock

    private TaskRuntime(Builder b) {
        Runnable afterEachRun = this::afterEachRun;
        this.workers = new WorkerPool(b.workerThreads, b.threadNamePrefix, afterEachRun);
        this.blocking = new BlockingPool(b.maxBlockingThreads, b.blockingKeepAlive.toNanos(), b.threadNamePrefix,
                afterEachRun);
        this.timer = new TaskTimer(b.threadNamePrefix);
        this.watchdog = new Watchdog(workers, b.blockedWorkerThreshold, b.blockedWorkerReporter, b.threadNamePrefix);
        this.workerExecutor = new WorkerExecutor(workers);
        workers.start();
        watchdog.start();
    }

    /** A builder with the defaults: one worker per core, 512 blocking threads, 10 s keep-alive, 1 s threshold. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether the calling thread is a worker of any runtime. */
    public static boolean onWorkerThread() {
        return Thread.currentThread() instanceof WorkerThread;
    }

    // ---------------------------------------------------------------- spawning

    /**
     * Runs {@code task} on a worker. The task must not block. After shutdown, returns a handle
     * already completed as cancelled.
     */
    public <T> JoinHandle<T> spawn(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        return spawnOnWorkers(TaskKind.WORKER, task, task.toString());
    }

    /** Runs {@code task} on a worker; see {@link #spawn(Callable)}. */
    public JoinHandle<Void> spawn(Runnable task) {
        Objects.requireNonNull(task, "task");
        return spawnOnWorkers(TaskKind.WORKER, callable(task), task.toString());
    }

    private <T> JoinHandle<T> spawnOnWorkers(TaskKind kind, Callable<T> task, String description) {
        TaskCell<T> cell = newCell(kind, task, description);
        if (!accepting) {
            cell.cancel(SHUT_DOWN);
        } else {
            try {
                workers.execute(cell);
            } catch (RejectedExecutionException e) {
                cell.cancel(SHUT_DOWN);
            }
        }
        return handle(cell);
    }

    /**
     * Runs {@code task} on the blocking pool (see the class comment for how threads are made and
     * reused). Blocking I/O, fsync and waiting on locks belong here. After shutdown, returns a
     * handle already completed as cancelled.
     */
    public <T> JoinHandle<T> spawnBlocking(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        return spawnOnBlocking(task, task.toString());
    }

    /** Runs {@code task} on the blocking pool; see {@link #spawnBlocking(Callable)}. */
    public JoinHandle<Void> spawnBlocking(Runnable task) {
        Objects.requireNonNull(task, "task");
        return spawnOnBlocking(callable(task), task.toString());
    }

    private <T> JoinHandle<T> spawnOnBlocking(Callable<T> task, String description) {
        TaskCell<T> cell = newCell(TaskKind.BLOCKING, task, description);
        if (!accepting || !blocking.execute(cell)) {
            cell.cancel(SHUT_DOWN);
        }
        return handle(cell);
    }

    /**
     * Runs {@code task} on a worker once {@code delay} has passed. {@link JoinHandle#abort()}
     * before then cancels it. After shutdown, returns a handle already completed as cancelled.
     */
    public <T> JoinHandle<T> spawnAfter(Duration delay, Callable<T> task) {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(task, "task");
        return delayed(delay, task, task.toString());
    }

    /** Runs {@code task} on a worker once {@code delay} has passed; see {@link #spawnAfter(Duration, Callable)}. */
    public JoinHandle<Void> spawnAfter(Duration delay, Runnable task) {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(task, "task");
        return delayed(delay, callable(task), task.toString());
    }

    private <T> JoinHandle<T> delayed(Duration delay, Callable<T> task, String description) {
        TaskCell<T> cell = newCell(TaskKind.DELAYED, task, description);
        if (!accepting) {
            cell.cancel(SHUT_DOWN);
            return handle(cell);
        }
        pendingDelayed.add(cell);
        ScheduledFuture<?> timerEntry = timer.schedule(() -> {
            pendingDelayed.remove(cell);
            if (!accepting) {
                cell.cancel(SHUT_DOWN);
                return;
            }
            try {
                workers.execute(cell);
            } catch (RejectedExecutionException e) {
                cell.cancel(SHUT_DOWN);
            }
        }, delay.toNanos());
        if (timerEntry == null) { // the timer was shut down between our check and the schedule
            pendingDelayed.remove(cell);
            cell.cancel(SHUT_DOWN);
        } else {
            cell.onCancel(() -> {
                pendingDelayed.remove(cell);
                timerEntry.cancel(false);
            });
        }
        return handle(cell);
    }

    /**
     * Runs {@code task} on a worker at a fixed rate: first after {@code initialDelay}, then at
     * {@code initialDelay + k * period}. Runs never overlap; a run that overruns makes the next
     * run wait for the next tick (missed ticks are skipped, not bursted). The handle completes
     * only when the task stops: cancelled by {@link JoinHandle#abort()} or shutdown, or
     * exceptionally when a run throws (no run follows).
     */
    public JoinHandle<Void> spawnAtFixedRate(Duration initialDelay, Duration period, Runnable task) {
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(period, "period");
        Objects.requireNonNull(task, "task");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period must be positive, was " + period);
        }
        RuntimeFuture<Void> future = new RuntimeFuture<>(workers);
        PeriodicTask p = new PeriodicTask(nextTaskId.getAndIncrement(), task, task.toString(), future,
                period.toNanos(), timer, workers, periodic::remove);
        JoinHandle<Void> handle = new JoinHandle<>(future, () -> p.cancel("aborted"));
        if (!accepting) {
            p.cancel(SHUT_DOWN);
            return handle;
        }
        periodic.add(p);
        p.start(initialDelay.toNanos());
        return handle;
    }

    /**
     * An {@link Executor} view of the worker pool, for {@code thenXAsync(fn, executor)} and the
     * like: each runnable is queued and runs on a worker. It keeps accepting while a shutdown
     * lets running tasks finish (so their continuations can run) and throws
     * {@link RejectedExecutionException} once the workers have exited. A runnable that throws is
     * logged; the worker goes on.
     */
    public Executor workerExecutor() {
        return workerExecutor;
    }

    /** A snapshot of the pools' sizes and queues. */
    public RuntimeMetrics metrics() {
        return new RuntimeMetrics(workers.size(), workers.queueDepth(), blocking.threadCount(),
                blocking.idleCount(), blocking.queueDepth(), watchdog.reportCount());
    }

    // ---------------------------------------------------------------- shutdown

    /**
     * Shuts the runtime down and reports what was left:
     * <ol>
     *   <li>stops taking tasks: later spawns return handles already completed as cancelled;</li>
     *   <li>cancels what has not started: queued blocking and worker tasks, pending delayed
     *   tasks, periodic tasks (their handles complete with a CancellationException);</li>
     *   <li>lets running tasks (and the continuations they trigger) finish, up to
     *   {@code timeout};</li>
     *   <li>stops the workers, the timer and the watchdog, and returns the report. Tasks still
     *   running are named in it with their threads; they are not interrupted, their handles
     *   complete when they end, and callbacks then run on the completing thread.</li>
     * </ol>
     * Idempotent: later calls return the first call's report (waiting for it if it is in
     * progress).
     *
     * @throws IllegalStateException if called on one of this runtime's workers (it would wait for
     *     itself) or on another non-blocking thread; shut down from outside the runtime
     */
    public ShutdownReport shutdown(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (workers.isWorker(Thread.currentThread())) {
            throw new IllegalStateException("shutdown called on " + Thread.currentThread().getName()
                    + ", a worker of this runtime; shut down from outside the runtime");
        }
        ThreadChecks.checkMayBlock("shutdown"); // it waits: not on an event loop or another runtime's worker
        synchronized (shutdownLock) {
            if (report != null) {
                return report;
            }
            long start = System.nanoTime();
            long deadline = start + Math.max(0, timeout.toNanos());
            accepting = false;
            draining = true;
            List<TaskInfo> cancelled = new ArrayList<>();

            // Timer first: from here on no schedule succeeds (such spawns cancel themselves), so
            // the sweeps below see every delayed and periodic task the timer still held.
            timer.shutdown();
            for (TaskCell<?> cell : List.copyOf(pendingDelayed)) {
                if (cell.cancel(SHUT_DOWN)) {
                    cancelled.add(info(cell, null));
                }
            }
            for (PeriodicTask p : List.copyOf(periodic)) {
                if (p.cancel(SHUT_DOWN)) {
                    cancelled.add(new TaskInfo(p.id(), TaskKind.PERIODIC, p.description(), Optional.empty()));
                }
            }
            for (TaskCell<?> cell : blocking.shutdown()) {
                if (cell.cancel(SHUT_DOWN)) {
                    cancelled.add(info(cell, null));
                }
            }
            workers.cancelQueuedTasks(SHUT_DOWN, cell -> cancelled.add(info(cell, null)));

            synchronized (quiet) {
                while (!isQuiet()) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        break;
                    }
                    try {
                        // Bounded wait: the notification is an accelerator, the re-check is the truth.
                        quiet.wait(Math.max(1, Math.min(remaining / 1_000_000, 50)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break; // report what is left now rather than swallow the interrupt
                    }
                }
            }

            List<TaskInfo> stillRunning = new ArrayList<>();
            for (WorkerPool.Running r : workers.running()) {
                stillRunning.add(info(r.task(), r.thread()));
            }
            for (WorkerPool.Running r : blocking.running()) {
                stillRunning.add(info(r.task(), r.thread()));
            }
            workers.terminate();
            watchdog.stop();
            report = new ShutdownReport(cancelled, stillRunning, Duration.ofNanos(System.nanoTime() - start));
            return report;
        }
    }

    /**
     * {@link #shutdown(Duration)} with {@link #DEFAULT_SHUTDOWN_TIMEOUT}; logs a warning naming
     * the tasks still running if it timed out.
     */
    @Override
    public void close() {
        ShutdownReport r = shutdown(DEFAULT_SHUTDOWN_TIMEOUT);
        if (!r.finishedInTime()) {
            LOG.log(System.Logger.Level.WARNING, "runtime closed with tasks still running: " + r.stillRunning());
        }
    }

    /** Whether {@link #shutdown(Duration)} has begun. */
    public boolean isShutdown() {
        return !accepting;
    }

    private boolean isQuiet() {
        return workers.isQuiescent() && blocking.threadCount() == 0;
    }

    private void afterEachRun() {
        if (draining) {
            synchronized (quiet) {
                quiet.notifyAll();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private <T> TaskCell<T> newCell(TaskKind kind, Callable<T> task, String description) {
        return new TaskCell<>(nextTaskId.getAndIncrement(), kind, task, description, new RuntimeFuture<>(workers));
    }

    private static <T> JoinHandle<T> handle(TaskCell<T> cell) {
        return new JoinHandle<>(cell.future(), () -> cell.cancel("aborted"));
    }

    private static Callable<Void> callable(Runnable task) {
        return () -> {
            task.run();
            return null;
        };
    }

    private static TaskInfo info(Object task, Thread thread) {
        Optional<String> name = Optional.ofNullable(thread).map(Thread::getName);
        if (task instanceof TaskCell<?> cell) {
            return new TaskInfo(cell.id(), cell.kind(), cell.description(), name);
        }
        if (task instanceof PeriodicTask p) {
            return new TaskInfo(p.id(), TaskKind.PERIODIC, p.description(), name);
        }
        return new TaskInfo(-1, TaskKind.CONTINUATION, String.valueOf(task), name);
    }

    @Override
    public String toString() {
        return "TaskRuntime[" + metrics() + (accepting ? "" : ", shut down") + "]";
    }

    /** The public Executor view: a named class so a thread dump or log shows what it is. */
    private static final class WorkerExecutor implements Executor {
        private final WorkerPool pool;

        WorkerExecutor(WorkerPool pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable command) {
            pool.execute(Objects.requireNonNull(command, "command"));
        }

        @Override
        public String toString() {
            return "TaskRuntime.workerExecutor";
        }
    }

    /**
     * Configures a {@link TaskRuntime}. Defaults are resolved in {@link #build()}.
     *
     * <p>Threading: confined; use from one thread, then discard.
     */
    public static final class Builder {
        private int workerThreads = Runtime.getRuntime().availableProcessors();
        private int maxBlockingThreads = 512;
        private Duration blockingKeepAlive = Duration.ofSeconds(10);
        private Duration blockedWorkerThreshold = Duration.ofSeconds(1);
        private String threadNamePrefix = "logpipe";
        private BlockedWorkerReporter blockedWorkerReporter = BlockedWorkerReporter.logging();

        private Builder() {
        }

        /** Size of the fixed worker pool; default: the number of available processors. */
        public Builder workerThreads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("workerThreads must be at least 1, was " + n);
            }
            this.workerThreads = n;
            return this;
        }

        /** Most threads the blocking pool keeps alive at once; default 512. */
        public Builder maxBlockingThreads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxBlockingThreads must be at least 1, was " + n);
            }
            this.maxBlockingThreads = n;
            return this;
        }

        /** How long an idle blocking thread waits for work before it exits; default 10 s. */
        public Builder blockingKeepAlive(Duration keepAlive) {
            Objects.requireNonNull(keepAlive, "keepAlive");
            if (keepAlive.isNegative()) {
                throw new IllegalArgumentException("blockingKeepAlive must not be negative, was " + keepAlive);
            }
            this.blockingKeepAlive = keepAlive;
            return this;
        }

        /** How long a task may hold a worker before the watchdog reports it; default 1 s. */
        public Builder blockedWorkerThreshold(Duration threshold) {
            Objects.requireNonNull(threshold, "threshold");
            if (threshold.isNegative() || threshold.isZero()) {
                throw new IllegalArgumentException("blockedWorkerThreshold must be positive, was " + threshold);
            }
            this.blockedWorkerThreshold = threshold;
            return this;
        }

        /** Where blocked-worker reports go; default {@link BlockedWorkerReporter#logging()}. */
        public Builder blockedWorkerReporter(BlockedWorkerReporter reporter) {
            this.blockedWorkerReporter = Objects.requireNonNull(reporter, "reporter");
            return this;
        }

        /** Prefix of every thread name ({@code <prefix>-worker-N}, ...); default {@code logpipe}. */
        public Builder threadNamePrefix(String prefix) {
            Objects.requireNonNull(prefix, "prefix");
            if (prefix.isBlank()) {
                throw new IllegalArgumentException("threadNamePrefix must not be blank");
            }
            this.threadNamePrefix = prefix;
            return this;
        }

        /** Starts the worker threads and the watchdog; blocking threads start on demand. */
        public TaskRuntime build() {
            return new TaskRuntime(this);
        }
    }
}
