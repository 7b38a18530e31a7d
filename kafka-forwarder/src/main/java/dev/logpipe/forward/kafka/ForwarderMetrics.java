package dev.logpipe.forward.kafka;

/**
 * A snapshot of a forwarder's counters and gauges, taken by {@link KafkaForwarder#metrics()}.
 *
 * @param state where the forwarder is in its life
 * @param mode how it delivers
 * @param recordsForwarded records Kafka has accepted for good: committed in a transaction
 *     (exactly once) or acknowledged in an unbroken prefix (at least once), since this start
 * @param transactionsCommitted transactions committed since this start (0 at least once)
 * @param transactionsAborted transactions given up after an error and resent from the committed
 *     position, since this start (0 at least once)
 * @param recordsResent records sent again after an error, since this start: at least once, some of
 *     them may be duplicates in the topic; exactly once, they replace an aborted transaction's
 * @param retries attempts that failed and were retried after a back-off, since this start
 * @param lastCommittedIndex the journal index of the last record committed (-1 before the first)
 * @param lagRecords records in the journal after the last committed one (-1 if it cannot be counted)
 * @param lagSeconds how long ago the oldest record not yet committed was received (0 when none is waiting)
 * @param lastError the last error met, or null
 *
 * <p>Threading: immutable.
 */
public record ForwarderMetrics(ForwarderState state, DeliveryMode mode, long recordsForwarded,
                               long transactionsCommitted, long transactionsAborted, long recordsResent,
                               long retries, long lastCommittedIndex, long lagRecords, double lagSeconds,
                               String lastError) {
}
