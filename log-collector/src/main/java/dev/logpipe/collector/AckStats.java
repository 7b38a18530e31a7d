package dev.logpipe.collector;

import java.util.Map;

/**
 * A snapshot of the acknowledged listeners' counters (RELP, Fluent Forward) and the external
 * {@link Receiver}s' (OTLP/HTTP).
 *
 * <p>Threading: immutable, thread-safe. Not atomic across fields.
 *
 * @param received             messages received per protocol ({@code relp}: syslog frames;
 *                             {@code fluent}: event streams, i.e. Message/Forward/PackedForward entries;
 *                             a receiver's protocol, e.g. {@code otlp}: requests whose records were taken)
 * @param acksSent             positive acknowledgements written to clients
 * @param nacksSent            negative ones (RELP {@code 500} for a record the journal could not store)
 * @param acksPending          acknowledgements waiting for their records now, over all connections
 * @param pressureSyncs        early syncs asked for because acknowledgements were waiting
 * @param protocolErrors       protocol errors per reason (a session closed for a bad frame, ...)
 * @param latencyBoundsMillis  upper bounds of the ack latency histogram's buckets
 * @param latencyBuckets       acknowledgements per latency bucket (not cumulative); one more than bounds
 * @param latencySumNanos      the sum of all ack latencies
 */
public record AckStats(Map<String, Long> received, long acksSent, long nacksSent, long acksPending,
                       long pressureSyncs, Map<String, Long> protocolErrors, double[] latencyBoundsMillis,
                       long[] latencyBuckets, long latencySumNanos) {
}
