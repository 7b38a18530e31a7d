package dev.logpipe.forward.kafka;

/**
 * The life of a {@link KafkaForwarder}.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum ForwarderState {
    /** Connecting, fencing older instances and finding the committed position. */
    STARTING,
    /** Forwarding, or waiting for new records. */
    RUNNING,
    /** Kafka failed or is unreachable: backing off and retrying; nothing is read ahead meanwhile. */
    RETRYING,
    /** Stopped by {@link KafkaForwarder#close}. */
    STOPPED,
    /** Stopped by an error it cannot retry (fenced by a newer instance, not authorised); see {@link ForwarderMetrics#lastError}. */
    FAILED
}
