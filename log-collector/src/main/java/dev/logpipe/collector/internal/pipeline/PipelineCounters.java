package dev.logpipe.collector.internal.pipeline;

import dev.logpipe.collector.LostReason;
import dev.logpipe.collector.RejectReason;
import dev.logpipe.collector.internal.ingest.IngestObserver;
import dev.logpipe.filesink.SourceFormat;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every counter of one pipeline: records and bytes received per format, frames rejected per reason,
 * connections, backpressure. The decoders report into it as an {@link IngestObserver}.
 *
 * <p>Threading: thread-safe; written from event loops, emitter threads and the writer, read by
 * {@code stats()} from any thread. Counters are {@link LongAdder}s so that the hot paths do not
 * contend on one cache line; a snapshot is not atomic across counters.
 */
public final class PipelineCounters implements IngestObserver {

    private static final SourceFormat[] FORMATS = SourceFormat.values();

    private final LongAdder[] receivedRecords = adders(FORMATS.length);
    private final LongAdder[] receivedBytes = adders(FORMATS.length);
    private final LongAdder[] truncated = adders(FORMATS.length);
    private final LongAdder[] rejected = adders(RejectReason.values().length);

    /** Connections currently open (past the limit check). */
    public final AtomicInteger activeConnections = new AtomicInteger();
    public final LongAdder acceptedConnections = new LongAdder();
    public final LongAdder refusedConnections = new LongAdder();
    public final LongAdder idleClosedConnections = new LongAdder();
    public final LongAdder tlsFailures = new LongAdder();
    public final LongAdder connectionErrors = new LongAdder();
    /** Times a connection turned autoRead off because the journal channel was full. */
    public final LongAdder backpressurePauses = new LongAdder();
    /** Times a connection stopped reading until its listener's memory for unfinished messages had room. */
    public final LongAdder memoryPauses = new LongAdder();
    /**
     * Records decoded from a connection that could not be put into the channel because it was closed,
     * per reason.
     */
    private final LongAdder[] lost = adders(LostReason.values().length);
    /** Why the channel is closed to connections, for {@link #lost(long)}: set by the pipeline. */
    private volatile LostReason closedReason = LostReason.JOURNAL_FAILURE;
    /** Records decoded and counted as received that wait in a connection's local FIFO for channel room. */
    public final LongAdder pendingRecords = new LongAdder();
    /** The acknowledged listeners' counters (RELP, Fluent Forward). */
    public final AckCounters acks = new AckCounters();
    /** The most records ever held in one connection's local FIFO while paused. */
    private final AtomicInteger maxPendingPerConnection = new AtomicInteger();

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < a.length; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    /** Counts one record accepted into the pipeline (TCP or embedded). */
    public void recordAccepted(SourceFormat format) {
        receivedRecords[format.ordinal()].increment();
    }

    /** Counts the bytes of an embedded record (TCP bytes come from {@link #frameDecoded}). */
    public void embeddedBytes(long bytes) {
        receivedBytes[SourceFormat.EMBEDDED.ordinal()].add(bytes);
    }

    /** Raises the high-water mark of a connection's local FIFO. */
    public void pendingHighWater(int size) {
        int cur;
        while (size > (cur = maxPendingPerConnection.get())) {
            if (maxPendingPerConnection.compareAndSet(cur, size)) {
                return;
            }
        }
    }

    @Override
    public void frameDecoded(SourceFormat format, int frameBytes) {
        receivedBytes[format.ordinal()].add(frameBytes);
    }

    @Override
    public void frameRejected(RejectReason reason) {
        rejected[reason.ordinal()].increment();
    }

    @Override
    public void frameTruncated(SourceFormat format) {
        truncated[format.ordinal()].increment();
    }

    public Map<SourceFormat, Long> receivedRecords() {
        return snapshot(receivedRecords);
    }

    public Map<SourceFormat, Long> receivedBytes() {
        return snapshot(receivedBytes);
    }

    public Map<SourceFormat, Long> truncated() {
        return snapshot(truncated);
    }

    /** Frames rejected, per reason; reasons never seen are absent. */
    public Map<RejectReason, Long> rejected() {
        return nonZero(RejectReason.class, RejectReason.values(), rejected);
    }

    /** Counts {@code n} records that a connection held and could not hand to the closed channel. */
    public void lost(long n) {
        if (n > 0) {
            lost[closedReason.ordinal()].add(n);
        }
    }

    /** Says why the channel is (about to be) closed to connections. */
    public void closedReason(LostReason reason) {
        this.closedReason = reason;
    }

    /** Records lost by connections, per reason; reasons with none are absent. */
    public Map<LostReason, Long> lost() {
        return nonZero(LostReason.class, LostReason.values(), lost);
    }

    public int maxPendingPerConnection() {
        return maxPendingPerConnection.get();
    }

    private static <E extends Enum<E>> Map<E, Long> nonZero(Class<E> type, E[] keys, LongAdder[] a) {
        EnumMap<E, Long> m = new EnumMap<>(type);
        for (E k : keys) {
            long n = a[k.ordinal()].sum();
            if (n != 0) {
                m.put(k, n);
            }
        }
        return Collections.unmodifiableMap(m);
    }

    private static Map<SourceFormat, Long> snapshot(LongAdder[] a) {
        EnumMap<SourceFormat, Long> m = new EnumMap<>(SourceFormat.class);
        for (SourceFormat f : FORMATS) {
            m.put(f, a[f.ordinal()].sum());
        }
        return Collections.unmodifiableMap(m);
    }
}
