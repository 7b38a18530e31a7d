package dev.logpipe.filesink.internal.writer;

import dev.logpipe.filesink.JournalState;
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
    /** Records failed because the sink was abandoned (a shutdown that ran out of time), not by an error. */
    volatile long abandonedRecords;
    /** Records refused alone for being larger than the journal's max record size. */
    volatile long oversizeRecords;
    /** Records the writer has taken from the channel and not yet appended or failed. */
    volatile long heldRecords;
    volatile long rolls;
    volatile JournalState state = JournalState.STARTING;
    /** Pause episodes for lack of space. */
    volatile long pauses;
    /** Nanoseconds spent paused in finished episodes. */
    volatile long pausedNanos;
    /** System.nanoTime() when the current pause began; meaningful while state is PAUSED. */
    volatile long pausedSinceNanos;
    /** Highest index appended; read by the sync task before it forces the files. */
    volatile long writtenIndex = -1;
    /** Where the last appended record ends (segment and file offset); published before {@link #writtenIndex}. */
    volatile WrittenPosition writtenPosition;

    /** The end of the last appended record: its segment's cycle and the file offset after it. */
    record WrittenPosition(int cycle, long offset) {
    }

    // written by the one sync in flight
    volatile long durableIndex = -1;
    volatile long syncs;
    volatile long syncFailures;
    volatile long lastSyncNanos;
    volatile long maxSyncNanos;
    volatile long totalSyncNanos;
    /** Records of writer batches whose last record a completed sync covered. */
    volatile long durableRecords;

    final AtomicLong retentionDeletedSegments = new AtomicLong();
    final AtomicLong retentionDeletedBytes = new AtomicLong();
    final AtomicLong retentionForcedDeletes = new AtomicLong();

    final AtomicLong errors = new AtomicLong();

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

    public long oversizeRecords() {
        return oversizeRecords;
    }

    public long abandonedRecords() {
        return abandonedRecords;
    }

    public JournalState state() {
        return state;
    }

    /** Nanoseconds paused for lack of space, the current episode included. */
    public long pausedNanos() {
        long total = pausedNanos;
        if (state == JournalState.PAUSED) {
            total += Math.max(0, System.nanoTime() - pausedSinceNanos);
        }
        return total;
    }

    public long syncs() {
        return syncs;
    }

    /** Records a write or sync failure: the last error, and one more error counted. */
    public void error(Throwable t) {
        lastError = t;
        errors.incrementAndGet();
    }

    /** Counts an error that does not stop the journal (a failed retention pass or deletion). */
    public void retentionError() {
        errors.incrementAndGet();
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
        // held before written: a record the writer appends meanwhile is seen twice rather than not at
        // all (the pipeline's books: received = written + lost + in flight)
        long held = heldRecords;
        return new SinkStats(writtenRecords, writtenBytes, batches, writtenIndex, durableIndex, syncs, syncFailures,
                lastSyncNanos, maxSyncNanos, totalSyncNanos, failedRecords, rolls,
                retentionDeletedSegments.get(), retentionDeletedBytes.get(), retentionForcedDeletes.get(), lastError,
                state, pauses, pausedNanos(), abandonedRecords, held, durableRecords, errors.get(),
                oversizeRecords);
    }
}
