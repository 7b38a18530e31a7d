package dev.logpipe.collector.internal.pipeline;

import dev.logpipe.filesink.Segment;
import dev.logpipe.filesink.SinkListener;

import java.nio.file.Path;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link SinkListener} that counts written and durable records for the pipeline's stats, then
 * passes every call on to the user's listener (if any).
 *
 * <p>Threading: called on the journal writer thread or a blocking-pool thread, as the sink says;
 * cheap and never blocks. The counters may be read from any thread.
 */
public final class SinkCounters implements SinkListener {

    private final SinkListener next;
    private final LongAdder writtenRecords = new LongAdder();
    private final LongAdder writtenBytes = new LongAdder();
    private final LongAdder durableRecords = new LongAdder();
    private final LongAdder syncs = new LongAdder();
    private final LongAdder errors = new LongAdder();

    public SinkCounters(SinkListener next) {
        this.next = next;
    }

    public long writtenRecords() {
        return writtenRecords.sum();
    }

    public long writtenBytes() {
        return writtenBytes.sum();
    }

    public long durableRecords() {
        return durableRecords.sum();
    }

    public long syncs() {
        return syncs.sum();
    }

    public long errors() {
        return errors.sum();
    }

    @Override
    public void onBatch(int records, long bytes) {
        writtenRecords.add(records);
        writtenBytes.add(bytes);
        if (next != null) {
            next.onBatch(records, bytes);
        }
    }

    @Override
    public void onSync(long durationNanos, long durableIndex) {
        syncs.increment();
        if (next != null) {
            next.onSync(durationNanos, durableIndex);
        }
    }

    @Override
    public void onDurable(long records, long oldestReceiveTimeNanos, long nowNanos) {
        durableRecords.add(records);
        if (next != null) {
            next.onDurable(records, oldestReceiveTimeNanos, nowNanos);
        }
    }

    @Override
    public void onRoll(Segment newSegment) {
        if (next != null) {
            next.onRoll(newSegment);
        }
    }

    @Override
    public void onRetentionDelete(Path file, long bytes, boolean forcedByHardLimit) {
        if (next != null) {
            next.onRetentionDelete(file, bytes, forcedByHardLimit);
        }
    }

    @Override
    public void onError(Throwable t) {
        errors.increment();
        if (next != null) {
            next.onError(t);
        }
    }
}
