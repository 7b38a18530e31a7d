package dev.logpipe.server.internal.admin;

import java.util.Map;

/**
 * The pipeline's counters and gauges at one moment, as the metrics need them. {@code serve}
 * builds one from the pipeline's own stats on every scrape, so that this package does not depend
 * on how the pipeline keeps them.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param receivedRecords records decoded, per wire format name ({@code json}, {@code syslog}, ...)
 * @param receivedBytes frame bytes decoded, per wire format name
 * @param rejectedRecords frames rejected (stored raw or dropped), per reason ({@code invalid_json}, ...)
 * @param writtenRecords records appended to the journal
 * @param durableRecords records known to be on disk
 * @param channelDepth records waiting in the ingest channel
 * @param channelCapacity the ingest channel's capacity in records
 * @param activeConnections open TCP connections
 * @param refusedConnections connections refused over max-connections
 * @param backpressurePauses times a connection stopped reading because the channel was full
 * @param truncatedRecords frames cut at the frame limit, per wire format name
 * @param lostRecords records accepted but never written (journal failure, or a drain that overran its timeout)
 * @param acceptedConnections TCP connections accepted since start
 * @param idleClosedConnections TCP connections closed by the idle timeout
 * @param tlsFailures failed TLS handshakes or records
 * @param lostByReason {@code lostRecords} per reason ({@code journal_failure}, {@code drain_timeout})
 * @param inFlightRecords records received and not yet written or lost (connections, channel, writer)
 * @param journalState {@code writable}, {@code paused} (short of space), {@code failed}, {@code starting}
 *     or {@code stopped}
 * @param journalPauses times the journal paused for lack of space
 * @param journalPausedNanos time the journal spent paused, the current pause included
 */
public record PipelineSnapshot(
        Map<String, Long> receivedRecords, Map<String, Long> receivedBytes, Map<String, Long> rejectedRecords,
        long writtenRecords, long durableRecords, long channelDepth, long channelCapacity,
        long activeConnections, long refusedConnections, long backpressurePauses,
        Map<String, Long> truncatedRecords, long lostRecords, long acceptedConnections, long idleClosedConnections,
        long tlsFailures, Map<String, Long> lostByReason, long inFlightRecords, String journalState,
        long journalPauses, long journalPausedNanos) {

    /** Nothing yet: before the pipeline has started. */
    public static final PipelineSnapshot EMPTY = new PipelineSnapshot(Map.of(), Map.of(), Map.of(), 0, 0, 0, 0, 0, 0, 0,
            Map.of(), 0, 0, 0, 0, Map.of(), 0, "starting", 0, 0);

    public PipelineSnapshot {
        receivedRecords = Map.copyOf(receivedRecords);
        receivedBytes = Map.copyOf(receivedBytes);
        rejectedRecords = Map.copyOf(rejectedRecords);
        truncatedRecords = Map.copyOf(truncatedRecords);
        lostByReason = Map.copyOf(lostByReason);
    }

    /** Whether the journal takes records now. */
    public boolean journalWritable() {
        return "writable".equals(journalState);
    }

    /** Records written but not yet known to be durable: what a machine crash now would lose. */
    public long recordsAtRisk() {
        return Math.max(0, writtenRecords - durableRecords);
    }
}
