package dev.logpipe.collector;

import dev.logpipe.filesink.JournalState;
import dev.logpipe.filesink.SinkStats;
import dev.logpipe.filesink.SourceFormat;

import java.util.Map;
import java.util.Objects;

/**
 * A snapshot of a {@link LogPipeline}'s counters, from {@link LogPipeline#stats()}. Counters are
 * totals since the pipeline started; each is read atomically, the snapshot as a whole is not.
 *
 * <p>The books: every received record is written, lost (by reason) or in flight, so
 * {@code receivedTotal() == writtenRecords + lostRecords + inFlightRecords} ({@link #unaccounted()}
 * is 0) whenever nothing moves: while the journal is paused with producers held back, and after the
 * pipeline has terminated (then in flight is 0). While records flow, a record moving between stages
 * during the read may be counted twice. Frames rejected and dropped by policy never became records
 * and are not received; rejected frames stored raw are received and written.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param state                   where the pipeline is in its life
 * @param receivedRecords         records accepted into the pipeline, per format (TCP formats as decoded,
 *                                {@code EMBEDDED} for emitters); every one is written unless
 *                                {@link #lostRecords} says otherwise
 * @param receivedBytes           bytes received per format: frame bytes on the wire for TCP, the record's
 *                                estimated size for {@code EMBEDDED}
 * @param rejected                frames rejected by the decoders, per reason; a rejected frame may still be
 *                                stored raw, by policy; reasons never seen are absent
 * @param truncated               frames cut at the frame limit, per format
 * @param sink                    the journal's own counters (written, durable, syncs, rolls, retention,
 *                                errors, pauses), read once for this snapshot
 * @param durableIndex            journal index of the last durable record (the durable watermark), -1 before any
 * @param channelDepth            records waiting in the channel between ingest and the writer
 * @param channelCapacity         the channel's capacity, in weight units (bytes)
 * @param activeConnections       TCP connections open now
 * @param acceptedConnections     TCP connections accepted since start
 * @param refusedConnections      TCP connections closed at once because of the connection limit
 * @param idleClosedConnections   TCP connections closed by the idle timeout
 * @param tlsFailures             TLS handshakes or records that failed (bad or missing client certificate, ...)
 * @param backpressurePauses      times a connection stopped reading because the channel was full
 * @param memoryPauses            times a connection stopped reading because its listener's memory for unfinished
 *                                frames and messages was taken (until another's was stored)
 * @param maxPendingPerConnection the most records one paused connection ever held (bounded by what its
 *                                reads in flight decoded)
 * @param currentSegment          the journal segment being written, or "" if not known yet
 * @param lostByReason            records accepted but never written, per reason ({@link LostReason}); absent
 *                                when 0
 * @param inFlightRecords         records received and not yet written or lost: held by connections waiting
 *                                for channel room, in the channel, or taken by the writer
 */
public record PipelineStats(
        LogPipeline.State state,
        Map<SourceFormat, Long> receivedRecords,
        Map<SourceFormat, Long> receivedBytes,
        Map<RejectReason, Long> rejected,
        Map<SourceFormat, Long> truncated,
        SinkStats sink,
        long durableIndex,
        long channelDepth,
        long channelCapacity,
        int activeConnections,
        long acceptedConnections,
        long refusedConnections,
        long idleClosedConnections,
        long tlsFailures,
        long backpressurePauses,
        long memoryPauses,
        int maxPendingPerConnection,
        String currentSegment,
        Map<LostReason, Long> lostByReason,
        long inFlightRecords) {

    public PipelineStats {
        Objects.requireNonNull(sink, "sink");
        lostByReason = Map.copyOf(lostByReason);
        receivedRecords = Map.copyOf(receivedRecords);
        receivedBytes = Map.copyOf(receivedBytes);
        rejected = Map.copyOf(rejected);
        truncated = Map.copyOf(truncated);
    }

    /** Records appended to the journal ({@link SinkStats#writtenRecords()}). */
    public long writtenRecords() {
        return sink.writtenRecords();
    }

    /** Bytes appended to the journal ({@link SinkStats#writtenBytes()}). */
    public long writtenBytes() {
        return sink.writtenBytes();
    }

    /** Records known to be synced to disk ({@link SinkStats#durableRecords()}). */
    public long durableRecords() {
        return sink.durableRecords();
    }

    /** Journal index of the last written record, -1 before any ({@link SinkStats#writtenIndex()}). */
    public long writtenIndex() {
        return sink.writtenIndex();
    }

    /** Whether the journal can store records now ({@link SinkStats#state()}). */
    public JournalState journalState() {
        return sink.state();
    }

    /** Times the journal paused because its file system was short of space ({@link SinkStats#pauses()}). */
    public long journalPauses() {
        return sink.pauses();
    }

    /** Time the journal spent paused, the current pause included ({@link SinkStats#pausedNanos()}). */
    public long journalPausedNanos() {
        return sink.pausedNanos();
    }

    /**
     * Records accepted but never written because the journal stopped taking records (writer failure,
     * or a shutdown that overran its drain timeout); 0 in a healthy run; the sum of {@link #lostByReason}.
     */
    public long lostRecords() {
        return lostByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Records lost for {@code reason} (0 if none). */
    public long lost(LostReason reason) {
        return lostByReason.getOrDefault(reason, 0L);
    }

    /** Frames rejected for {@code reason} (0 if none). */
    public long rejected(RejectReason reason) {
        return rejected.getOrDefault(reason, 0L);
    }

    /** Records accepted from every source. */
    public long receivedTotal() {
        return receivedRecords.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Frames rejected for every reason. */
    public long rejectedTotal() {
        return rejected.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Records written but not yet durable: lost if the machine crashed now. */
    public long recordsAtRisk() {
        return Math.max(0, writtenRecords() - durableRecords());
    }

    /**
     * {@code received - written - lost - in flight}: 0 when the books add up (see the class comment
     * for when a snapshot is exact); negative while records are moving between stages.
     */
    public long unaccounted() {
        return receivedTotal() - writtenRecords() - lostRecords() - inFlightRecords;
    }

    /** Records accepted for {@code format} (0 if none). */
    public long received(SourceFormat format) {
        return receivedRecords.getOrDefault(format, 0L);
    }
}
