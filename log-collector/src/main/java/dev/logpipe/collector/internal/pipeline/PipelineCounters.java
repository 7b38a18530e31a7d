package dev.logpipe.collector.internal.pipeline;

import dev.logpipe.collector.internal.ingest.IngestObserver;
import dev.logpipe.filesink.SourceFormat;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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

    private final LongAdder[] receivedRecords = adders();
    private final LongAdder[] receivedBytes = adders();
    private final LongAdder[] truncated = adders();
    private final ConcurrentHashMap<String, LongAdder> rejected = new ConcurrentHashMap<>();

    /** Connections currently open (past the limit check). */
    public final AtomicInteger activeConnections = new AtomicInteger();
    public final LongAdder acceptedConnections = new LongAdder();
    public final LongAdder refusedConnections = new LongAdder();
    public final LongAdder idleClosedConnections = new LongAdder();
    public final LongAdder tlsFailures = new LongAdder();
    public final LongAdder connectionErrors = new LongAdder();
    /** Times a connection turned autoRead off because the journal channel was full. */
    public final LongAdder backpressurePauses = new LongAdder();
    /** Lost because the journal failed (an I/O error that is not lack of space, a failed sync). */
    public static final String LOST_JOURNAL_FAILURE = "journal_failure";
    /** Lost because a shutdown ran out of its drain timeout. */
    public static final String LOST_DRAIN_TIMEOUT = "drain_timeout";

    /**
     * Records decoded from a connection that could not be put into the channel because it was closed,
     * per reason ({@link #LOST_JOURNAL_FAILURE}, {@link #LOST_DRAIN_TIMEOUT}).
     */
    private final ConcurrentHashMap<String, LongAdder> lost = new ConcurrentHashMap<>();
    /** Why the channel is closed to connections, for {@link #lost(long)}: set by the pipeline. */
    private volatile String closedReason = LOST_JOURNAL_FAILURE;
    /** Records decoded and counted as received that wait in a connection's local FIFO for channel room. */
    public final LongAdder pendingRecords = new LongAdder();
    /** The most records ever held in one connection's local FIFO while paused. */
    private final AtomicInteger maxPendingPerConnection = new AtomicInteger();

    private static LongAdder[] adders() {
        LongAdder[] a = new LongAdder[FORMATS.length];
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
    public void frameRejected(String reason) {
        rejected.computeIfAbsent(reason, r -> new LongAdder()).increment();
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

    public Map<String, Long> rejected() {
        TreeMap<String, Long> m = new TreeMap<>();
        rejected.forEach((k, v) -> m.put(k, v.sum()));
        return Collections.unmodifiableMap(m);
    }

    /** Counts {@code n} records that a connection held and could not hand to the closed channel. */
    public void lost(long n) {
        if (n > 0) {
            lost.computeIfAbsent(closedReason, r -> new LongAdder()).add(n);
        }
    }

    /** Says why the channel is (about to be) closed to connections: one of the {@code LOST_*} reasons. */
    public void closedReason(String reason) {
        this.closedReason = reason;
    }

    /** Records lost by connections, per reason. */
    public Map<String, Long> lost() {
        TreeMap<String, Long> m = new TreeMap<>();
        lost.forEach((k, v) -> m.put(k, v.sum()));
        return Collections.unmodifiableMap(m);
    }

    public int maxPendingPerConnection() {
        return maxPendingPerConnection.get();
    }

    private static Map<SourceFormat, Long> snapshot(LongAdder[] a) {
        EnumMap<SourceFormat, Long> m = new EnumMap<>(SourceFormat.class);
        for (SourceFormat f : FORMATS) {
            m.put(f, a[f.ordinal()].sum());
        }
        return Collections.unmodifiableMap(m);
    }
}
