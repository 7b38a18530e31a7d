package dev.logpipe.runtime;

import dev.logpipe.runtime.internal.Watchdog;

/**
 * Receives the runtime's blocked-worker reports.
 *
 * <p>Threading: called on the runtime's watchdog thread ({@code <prefix>-watchdog}), one report
 * at a time. Implementations must be quick and must not block: while the reporter runs, no other
 * worker is watched. An exception thrown by the reporter is logged and the watchdog goes on.
 */
@FunctionalInterface
public interface BlockedWorkerReporter {

    /**
     * Called each time a task's run on a worker passes another multiple of the threshold
     * (after 1&times;, 2&times;, 3&times; the threshold, ...), so a hung worker keeps being reported.
     */
    void report(BlockedWorker blocked);

    /**
     * The default reporter: a WARNING through {@link System.Logger} (logger
     * {@code dev.logpipe.runtime}, which is java.util.logging unless another backend is
     * installed), with the worker's stack attached as the log record's throwable.
     */
    static BlockedWorkerReporter logging() {
        return Watchdog::logReport;
    }
}
