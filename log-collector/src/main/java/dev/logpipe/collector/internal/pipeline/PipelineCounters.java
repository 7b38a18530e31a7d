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
    /** Records decoded from a connection that could not be put into the channel because it was closed. */
    public final LongAdder lostRecords = new LongAdder();
    /** The acknowledged listeners' counters (RELP, Fluent Forward). */
    public final AckCounters acks = new AckCounters();
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
