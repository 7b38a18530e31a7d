package dev.logpipe.forward.kafka.internal;

import dev.logpipe.forward.kafka.DeliveryMode;
import dev.logpipe.forward.kafka.KeyMode;
import dev.logpipe.forward.kafka.StartFrom;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A forwarder's settings, resolved by {@code KafkaForwarder.Builder.start()}.
 *
 * @param producerProperties extra Kafka client properties (security and the like), given to the
 *     producer, the admin client and the offsets consumer; the forwarder's own settings win
 * @param maxInFlightRecords at least once: records sent and not yet acknowledged, at most (the read-ahead bound)
 *
 * <p>Threading: immutable.
 */
public record ForwarderConfig(Path journal, String bootstrapServers, String topic, String name, DeliveryMode mode,
                              StartFrom startFrom, KeyMode keyMode, String node, String transactionalId,
                              String offsetsTopic, Map<String, String> producerProperties,
                              int maxTransactionRecords, Duration maxTransactionTime, int maxInFlightRecords,
                              Duration retryBackoff, Duration maxRetryBackoff, Duration startupTimeout,
                              Duration kafkaTimeout) {

    public ForwarderConfig {
        producerProperties = Map.copyOf(producerProperties);
    }
}
