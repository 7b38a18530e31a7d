package dev.logpipe.collector.internal.pipeline;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Bounds how often one kind of message about a client's connection is logged: a port scanner, a
 * client with the wrong TLS settings or shared key, or a fuzzer opens connection after connection,
 * and one INFO line each would fill the disk of the server that stores the logs (a minute of
 * connections that each fail a Fluent handshake wrote 129,000 lines). At most {@code perWindow}
 * lines per window are let through; the rest are counted, and the next line let through says how
 * many were left out. The metrics count every one of them regardless.
 *
 * <p>Threading: thread-safe (the connections of every event loop share one instance per kind);
 * called only on the error paths it limits.
 */
public final class LogLimiter {

    /** Ten lines of a kind per minute. */
    public static LogLimiter perMinute() {
        return new LogLimiter(10, TimeUnit.MINUTES.toNanos(1), System::nanoTime);
    }

    private final int perWindow;
    private final long windowNanos;
    private final LongSupplier clock;
    private long windowStart;
    private int count;
    private long leftOut;

    LogLimiter(int perWindow, long windowNanos, LongSupplier clock) {
        this.perWindow = perWindow;
        this.windowNanos = windowNanos;
        this.clock = clock;
        this.windowStart = clock.getAsLong();
    }

    /**
     * Null if this line is to be left out; else what to append to it: nothing, how many lines were
     * left out before it, or, for the window's last line, that more will be left out.
     */
    public synchronized String admit() {
        long now = clock.getAsLong();
        if (now - windowStart >= windowNanos) {
            windowStart = now;
            count = 0;
        }
        if (count >= perWindow) {
            leftOut++;
            return null;
        }
        count++;
        StringBuilder suffix = new StringBuilder();
        if (leftOut > 0) {
            suffix.append(" (").append(leftOut).append(" more like it were not logged)");
            leftOut = 0;
        }
        if (count == perWindow) {
            suffix.append(" (more like it in the next ").append(TimeUnit.NANOSECONDS.toSeconds(windowNanos))
                    .append(" s are counted in the metrics, not logged)");
        }
        return suffix.toString();
    }
}
