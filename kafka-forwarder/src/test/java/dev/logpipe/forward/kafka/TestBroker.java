package dev.logpipe.forward.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Test fixture: one real KRaft node (controller and broker in one) inside the test JVM, replication
 * factors 1, listening on 127.0.0.1. One per test class: a start costs seconds.
 */
final class TestBroker implements AutoCloseable {

    private final KafkaClusterTestKit kit;

    private TestBroker(KafkaClusterTestKit kit) {
        this.kit = kit;
    }

    static TestBroker start() throws Exception {
        KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("transaction.state.log.num.partitions", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("num.partitions", "1")
                .build();
        try {
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
        } catch (Exception e) {
            kit.close();
            throw e;
        }
        return new TestBroker(kit);
    }

    String bootstrap() {
        return kit.bootstrapServers();
    }

    /**
     * Creates {@code topic} and waits until the broker's metadata has it with a leader for every
     * partition: the create is acknowledged by the controller, and a broker learns of the topic a little
     * later (a describe in between says it does not exist, more often right after a broker restart).
     */
    void createTopic(String topic, int partitions) throws Exception {
        try (Admin a = kit.admin()) {
            a.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty()))).all().get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!visible(a, topic, partitions)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("topic " + topic + " created but not in the broker's metadata");
                }
                Thread.sleep(20);
            }
        }
    }

    private static boolean visible(Admin a, String topic, int partitions) throws InterruptedException {
        try {
            TopicDescription d = a.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            return d.partitions().size() == partitions && d.partitions().stream().allMatch(p -> p.leader() != null);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return false;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Stops the broker side of the node (the controller stays), as a crash of the broker process would. */
    void stopBroker() {
        kit.brokers().values().forEach(b -> {
            b.shutdown();
            b.awaitShutdown();
        });
    }

    void startBroker() throws Exception {
        kit.brokers().values().forEach(b -> b.startup());
        kit.waitForReadyBrokers();
    }

    /** A record read back: its journal index header, value and key. */
    record Got(long index, String node, String value, String key, int partition) {
    }

    /**
     * Reads {@code topic} {@code read_committed} from the start until {@code expected} records came or
     * {@code timeout} passed (then a little longer, to catch extra records), in partition order.
     */
    List<Got> readCommitted(String topic, int expected, Duration timeout) {
        Map<String, Object> p = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<Got> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() - deadline < 0 && out.size() < expected) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                    out.add(got(r));
                }
            }
            // anything beyond the expected count is a duplicate: give it a moment to show up
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) {
                out.add(got(r));
            }
        }
        return out;
    }

    private static Got got(ConsumerRecord<byte[], byte[]> r) {
        var idx = r.headers().lastHeader("logpipe-index");
        var node = r.headers().lastHeader("logpipe-node");
        return new Got(idx == null ? -1 : Long.parseLong(new String(idx.value(), StandardCharsets.US_ASCII)),
                node == null ? null : new String(node.value(), StandardCharsets.UTF_8),
                new String(r.value(), StandardCharsets.UTF_8),
                r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8), r.partition());
    }

    @Override
    public void close() throws Exception {
        kit.close();
    }
}
