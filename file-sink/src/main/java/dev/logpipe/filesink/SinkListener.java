package dev.logpipe.filesink;

import java.nio.file.Path;

/**
 * Hooks the journal calls as it works, one event at a time: for histograms (batch sizes, sync
 * durations, send-to-durable latency) and logs. Counts are not kept here: read them from
 * {@link FileSink#stats()} ({@link SinkStats}). Every method has an empty default.
 *
 * <p>Threading: called on the writer thread ({@link #onBatch}, {@link #onRoll}) or on a runtime
 * blocking-pool thread ({@link #onSync}, {@link #onDurable}, {@link #onRetentionDelete}), and
 * {@link #onError} on either. Implementations must be thread-safe, cheap, and must never block: the
 * writer thread is the journal's only writer.
 */
public interface SinkListener {

    /** A listener that does nothing. */
    SinkListener NOOP = new SinkListener() {
    };

    /** The writer appended a batch of {@code records} records, {@code bytes} encoded bytes. */
    default void onBatch(int records, long bytes) {
    }

    /** A sync completed in {@code durationNanos}; every record up to {@code durableIndex} is durable. */
    default void onSync(long durationNanos, long durableIndex) {
    }

    /**
     * A writer batch of {@code records} records became durable; {@code nowNanos - oldestReceiveTimeNanos}
     * is the send-to-durable latency of its first record (both epoch nanoseconds, wall clock). With
     * the sync policy "never" the batches are not listed one by one: the final sync reports all the
     * records it made durable in one call, with the first one's receive time.
     */
    default void onDurable(long records, long oldestReceiveTimeNanos, long nowNanos) {
    }

    /** The writer started a new segment. */
    default void onRoll(Segment newSegment) {
    }

    /**
     * Retention deleted a segment of {@code bytes} bytes; {@code forcedByHardLimit} when a named
     * reader had not finished it and only the hard byte limit made the deletion happen.
     */
    default void onRetentionDelete(Path file, long bytes, boolean forcedByHardLimit) {
    }

    /** Something failed: a write or sync (then the writer stops accepting records), or a retention pass. */
    default void onError(Throwable t) {
    }
}
