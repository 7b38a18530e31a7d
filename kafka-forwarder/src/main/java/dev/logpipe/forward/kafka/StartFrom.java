package dev.logpipe.forward.kafka;

/**
 * Where a forwarder starts the first time, when neither Kafka nor the journal holds a position for it.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum StartFrom {
    /** The oldest record still in the journal. */
    START,
    /** The records written after the forwarder started. */
    END
}
