package dev.logpipe.filesink;

import java.time.Duration;
import java.util.Objects;

/**
 * When the journal forces what it wrote to disk: every {@code interval}, after every {@code bytes}
 * written, after every batch the writer appends, or never while running (the OS writes back when it
 * likes; the writer still syncs once when it closes). A record is durable once a completed sync
 * covers it. The one form of this choice, used by {@link FileSink.Builder}, the embedded pipeline and
 * the server's configuration.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param kind which policy
 * @param interval the interval of {@link Kind#INTERVAL}; for {@link Kind#BYTES} the longest a
 *     written record waits for a sync when fewer bytes follow it; else null
 * @param bytes the byte count of {@link Kind#BYTES}, else 0
 */
public record SyncPolicy(Kind kind, Duration interval, long bytes) {

    /** The kinds of sync policy. */
    public enum Kind {
        /** Sync on a timer, when something was written since the last sync. */
        INTERVAL,
        /** Sync after every so many bytes written, and on a timer for what is left below the count. */
        BYTES,
        /** Sync after every batch (safest, slowest). */
        BATCH,
        /** No sync while running; one at close. */
        NEVER
    }

    private static final Duration DEFAULT_INTERVAL = Duration.ofMillis(100);

    /** The default: every 100 ms. */
    public static final SyncPolicy DEFAULT = every(DEFAULT_INTERVAL);

    public SyncPolicy {
        Objects.requireNonNull(kind, "kind");
        boolean timed = kind == Kind.INTERVAL || kind == Kind.BYTES;
        if (timed != (interval != null)) {
            throw new IllegalArgumentException("an interval goes with INTERVAL and BYTES and only with them");
        }
        if (interval != null && (interval.isNegative() || interval.isZero())) {
            throw new IllegalArgumentException("the sync interval must be positive, got " + interval
                    + "; to sync after every batch use everyBatch()");
        }
        if (kind == Kind.BYTES ? bytes < 1 : bytes != 0) {
            throw new IllegalArgumentException(kind == Kind.BYTES ? "the sync byte count must be >= 1, got " + bytes
                    : "a byte count goes with BYTES and only with it");
        }
    }

    /** Sync every {@code interval} (positive). */
    public static SyncPolicy every(Duration interval) {
        return new SyncPolicy(Kind.INTERVAL, Objects.requireNonNull(interval, "interval"), 0);
    }

    /**
     * Sync after every {@code bytes} written (at least 1), and what is left below that count after
     * 100 ms.
     */
    public static SyncPolicy everyBytes(long bytes) {
        return everyBytes(bytes, DEFAULT_INTERVAL);
    }

    /** Sync after every {@code bytes} written, and what is left below that count after {@code maxDelay}. */
    public static SyncPolicy everyBytes(long bytes, Duration maxDelay) {
        return new SyncPolicy(Kind.BYTES, Objects.requireNonNull(maxDelay, "maxDelay"), bytes);
    }

    /** Sync after every batch the writer appends. */
    public static SyncPolicy everyBatch() {
        return new SyncPolicy(Kind.BATCH, null, 0);
    }

    /** No sync while running. */
    public static SyncPolicy never() {
        return new SyncPolicy(Kind.NEVER, null, 0);
    }

    /** True unless {@link Kind#NEVER}: the writer syncs while it runs. */
    public boolean syncsWhileRunning() {
        return kind != Kind.NEVER;
    }
}
