package dev.logpipe.forward.kafka;

/**
 * What a forwarded Kafka record's key is (the key decides the partition).
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum KeyMode {
    /** The record's service (no key when it has none): one service's records stay in order in one partition. */
    SERVICE,
    /** The record's host (no key when it has none). */
    HOST,
    /** No key: the producer spreads records over the partitions. */
    NONE
}
