/**
 * The Kafka forwarder: reads a logpipe journal read-only and produces every record to a Kafka
 * topic, exactly once (Kafka transactions carry the journal position with the records) or at least
 * once. Start one with {@link dev.logpipe.forward.kafka.KafkaForwarder#builder}; everything else in
 * this module is in {@code internal}.
 */
package dev.logpipe.forward.kafka;
