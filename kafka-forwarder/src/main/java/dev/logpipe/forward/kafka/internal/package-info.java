/**
 * How the Kafka forwarder works: its forwarding loops (transactional and at-least-once), the offsets
 * topic that stores the committed journal position, and the mapping of a journal record to a Kafka
 * record. Not API: use {@link dev.logpipe.forward.kafka.KafkaForwarder}.
 */
package dev.logpipe.forward.kafka.internal;
