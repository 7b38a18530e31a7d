package dev.logpipe.runtime.internal;

import dev.logpipe.runtime.BlockedWorker;
import dev.logpipe.runtime.BlockedWorkerReporter;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The blocked-worker detector (Vert.x's blocked-thread checker): a thread
 * {@code <prefix>-watchdog} that looks at every worker each {@code threshold / 4} (at least
 * every 10 ms) and reports a run that has lasted longer than the threshold, with the worker's
 * stack, through the {@link BlockedWorkerReporter}. A run is reported again each time it passes
 * another multiple of the threshold, so a hung worker keeps being reported.
 *
 * <p>Threading: {@link #start()} and {@link #stop()} from any thread; the check and the reporter
 * run on the watchdog thread only, so the per-worker report marks need no synchronization.
 */
public final class Watchdog {

    private static final System.Logger LOG = System.getLogger("dev.logpipe.runtime");

    private final WorkerThread[] workers;
    private final long thresholdNanos;
    private final Duration threshold;
    private final BlockedWorkerReporter reporter;
    private final Thread thread;
    private final AtomicLong reports = new AtomicLong();
    /** Per worker: the run start last reported, and how many thresholds it had passed then. */
    private final long[] reportedStart;
    private final long[] reportedMultiple;
    private volatile boolean stopped;

    public Watchdog(WorkerPool pool, Duration threshold, BlockedWorkerReporter reporter, String prefix) {
        this.workers = pool.workers();
        this.threshold = threshold;
        this.thresholdNanos = threshold.toNanos();
        this.reporter = reporter;
        this.reportedStart = new long[workers.length];
        this.reportedMultiple = new long[workers.length];
        java.util.Arrays.fill(reportedStart, WorkerThread.IDLE);
        this.thread = new Thread(this::loop, prefix + "-watchdog");
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    public void stop() {
        stopped = true;
        LockSupport.unpark(thread);
    }

    public long reportCount() {
        return reports.get();
    }

    private void loop() {
        long interval = Math.max(Duration.ofMillis(10).toNanos(), thresholdNanos / 4);
        while (!stopped) {
            LockSupport.parkNanos(this, interval);
            if (stopped) {
                return;
            }
            try {
                check();
            } catch (Throwable t) { // a failing reporter must not end the watch
                LOG.log(System.Logger.Level.WARNING, "blocked-worker reporter threw; the watchdog goes on", t);
            }
        }
    }

    private void check() {
        for (WorkerThread w : workers) {
            long start = w.runStartNanos;
            Object task = w.current;
            if (start == WorkerThread.IDLE || task == null) {
                continue;
            }
            long blocked = System.nanoTime() - start;
            long multiple = blocked / thresholdNanos;
            if (multiple < 1 || (reportedStart[w.index] == start && reportedMultiple[w.index] >= multiple)) {
                continue;
            }
            StackTraceElement[] stack = w.getStackTrace();
            if (w.runStartNanos != start) {
                continue; // the run ended while we took the stack, which may belong to the next run
            }
            reportedStart[w.index] = start;
            reportedMultiple[w.index] = multiple;
            reports.incrementAndGet();
            reporter.report(new BlockedWorker(w.getName(), String.valueOf(task), Duration.ofNanos(blocked),
                    threshold, List.of(stack)));
        }
    }

    /** The default reporter: a WARNING with the worker's stack as the throwable. */
    public static void logReport(BlockedWorker blocked) {
        Throwable trace = new BlockedWorkerTrace(blocked.threadName());
        trace.setStackTrace(blocked.stackTrace().toArray(StackTraceElement[]::new));
        LOG.log(System.Logger.Level.WARNING, blocked.message(), trace);
    }

    /** Carries a blocked worker's stack into a log record; never thrown. */
    static final class BlockedWorkerTrace extends Throwable {
        BlockedWorkerTrace(String threadName) {
            super("stack of " + threadName, null, false, true);
        }
    }
}
