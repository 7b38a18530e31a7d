package dev.logpipe.collector.internal.config;

import java.time.Duration;
import java.util.Locale;

/**
 * When the journal forces written records to disk: every {@code interval}, after every batch, or
 * never (left to the OS). Written on the command line as {@code 100ms}, {@code batch} or
 * {@code never}.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param kind which policy
 * @param interval the interval for {@link Kind#INTERVAL}; {@code null} otherwise
 */
public record SyncPolicy(Kind kind, Duration interval) {

    /** The kinds of sync policy. */
    public enum Kind { INTERVAL, BATCH, NEVER }

    public SyncPolicy {
        if ((kind == Kind.INTERVAL) != (interval != null)) {
            throw new IllegalArgumentException("an interval goes with INTERVAL and only with it");
        }
        if (interval != null && (interval.isNegative() || interval.isZero())) {
            throw new IllegalArgumentException("sync interval must be positive; use 'batch' to sync after every batch");
        }
    }

    /** Sync every {@code interval}. */
    public static SyncPolicy every(Duration interval) {
        return new SyncPolicy(Kind.INTERVAL, interval);
    }

    /** Parses {@code batch}, {@code never} or a duration such as {@code 100ms}. */
    public static SyncPolicy parse(String text) {
        String t = text == null ? "" : text.trim();
        return switch (t.toLowerCase(Locale.ROOT)) {
            case "batch", "every-batch" -> new SyncPolicy(Kind.BATCH, null);
            case "never", "none" -> new SyncPolicy(Kind.NEVER, null);
            default -> {
                if (t.isEmpty() || !Character.isDigit(t.charAt(0))) {
                    throw new IllegalArgumentException("'" + text + "' is not a sync interval; use a duration such as 100ms, or batch, or never");
                }
                Duration d = Units.parseDuration(t); // its message says what to write (e.g. for 1M)
                if (d.isZero()) {
                    throw new IllegalArgumentException("sync interval must be positive; use 'batch' to sync after every batch");
                }
                yield every(d);
            }
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case INTERVAL -> Units.formatDuration(interval);
            case BATCH -> "batch";
            case NEVER -> "never";
        };
    }
}
