package dev.logpipe.filesink.internal.writer;

import dev.logpipe.filesink.SinkStats;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The journal's counters. Writer-thread counters are volatile fields with a single writer (the
 * writer thread), sync counters have a single writer at a time (one sync in flight, ordered by the
 * in-flight flag's CAS), retention counters are atomics.
 *
 * <p>Threading: thread-safe for reading; each field documents its single writer.
 */
public final class WriterCounters {
    // written by the writer thread only
    volatile long writtenRecords;
    volatile long writtenBytes;
    volatile long batches;
    volatile long failedRecords;
    volatile long rolls;
    /** Highest index appended; read by the sync task before it forces the files. */
    volatile long writtenIndex = -1;

    // written by the one sync in flight
    volatile long durableIndex = -1;
    volatile long syncs;
    volatile long syncFailures;
    volatile long lastSyncNanos;
    volatile long maxSyncNanos;
    volatile long totalSyncNanos;

    final AtomicLong retentionDeletedSegments = new AtomicLong();
    final AtomicLong retentionDeletedBytes = new AtomicLong();
    final AtomicLong retentionForcedDeletes = new AtomicLong();

    volatile Throwable lastError;

    public long writtenIndex() {
        return writtenIndex;
    }

    public long durableIndex() {
        return durableIndex;
    }

    public long writtenRecords() {
        return writtenRecords;
    }

    public long writtenBytes() {
        return writtenBytes;
    }

    public long failedRecords() {
        return failedRecords;
    }

    public long syncs() {
        return syncs;
    }

    public void error(Throwable t) {
        lastError = t;
    }

    public Throwable lastError() {
        return lastError;
    }

    /** Counts one retention deletion. */
    public void retentionDeleted(long bytes, boolean forced) {
        retentionDeletedSegments.incrementAndGet();
        retentionDeletedBytes.addAndGet(bytes);
        if (forced) {
            retentionForcedDeletes.incrementAndGet();
        }
    }

    /** A snapshot. */
    public SinkStats snapshot() {
        return new SinkStats(writtenRecords, writtenBytes, batches, writtenIndex, durableIndex, syncs, syncFailures,
                lastSyncNanos, maxSyncNanos, totalSyncNanos, failedRecords, rolls,
                retentionDeletedSegments.get(), retentionDeletedBytes.get(), retentionForcedDeletes.get(), lastError);
    }
}
