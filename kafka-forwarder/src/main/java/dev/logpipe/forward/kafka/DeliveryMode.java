package dev.logpipe.forward.kafka;

/**
 * How a forwarder delivers records to Kafka.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum DeliveryMode {
    /**
     * Kafka transactions of up to N records or T ms, each carrying the journal position reached; a
     * {@code read_committed} consumer sees every journal record once, across crashes and restarts of
     * the forwarder and of the brokers.
     */
    EXACTLY_ONCE,
    /**
     * An idempotent producer with {@code acks=all}; the position advances only over the unbroken
     * prefix of acknowledged records, so a crash or an outage may resend some (duplicates), never
     * lose one.
     */
    AT_LEAST_ONCE
}
