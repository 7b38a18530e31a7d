package dev.logpipe.server.internal.config;

import dev.logpipe.filesink.SyncPolicy;

import java.time.Duration;
import java.util.Locale;

/**
 * The command line's and the config file's form of the journal's {@link SyncPolicy}: {@code 100ms}
 * (any duration), {@code batch} or {@code never}.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class SyncPolicies {

    private SyncPolicies() {
    }

    /** Parses {@code batch}, {@code never} or a duration such as {@code 100ms}. */
    public static SyncPolicy parse(String text) {
        String t = text == null ? "" : text.trim();
        return switch (t.toLowerCase(Locale.ROOT)) {
            case "batch", "every-batch" -> SyncPolicy.everyBatch();
            case "never", "none" -> SyncPolicy.never();
            default -> {
                if (t.isEmpty() || !Character.isDigit(t.charAt(0))) {
                    throw new IllegalArgumentException("'" + text + "' is not a sync interval; use a duration such as 100ms, or batch, or never");
                }
                Duration d = Units.parseDuration(t); // its message says what to write (e.g. for 1M)
                if (d.isZero()) {
                    throw new IllegalArgumentException("sync interval must be positive; use 'batch' to sync after every batch");
                }
                if (d.compareTo(Duration.ofMillis(1)) < 0) {
                    // a timer that fires every few nanoseconds burnt most of a core on an idle server
                    throw new IllegalArgumentException("sync interval " + t + " is under 1ms; use 1ms or more, or 'batch'"
                            + " to sync after every batch");
                }
                yield SyncPolicy.every(d);
            }
        };
    }

    /** The form {@link #parse} reads back: a duration as {@link Units} writes it, {@code batch} or {@code never}. */
    public static String format(SyncPolicy p) {
        return switch (p.kind()) {
            case INTERVAL -> Units.formatDuration(p.interval());
            case BYTES -> p.bytes() + " bytes";
            case BATCH -> "batch";
            case NEVER -> "never";
        };
    }
}
