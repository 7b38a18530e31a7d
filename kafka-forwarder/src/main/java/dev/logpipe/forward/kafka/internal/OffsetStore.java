package dev.logpipe.forward.kafka.internal;

import dev.logpipe.filesink.FieldValue;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The journal positions committed to Kafka: a compacted topic keyed by the transactional id, one
 * small JSON value per transaction ({@code {"index":N,"repairs":G,"node":…,"name":…,"journal":…}}: the
 * journal index and the journal's repair generation it belongs to), written inside
 * the transaction that carries the records up to index N (the pattern of Kafka Connect's
 * exactly-once source support, KIP-618). Read back {@code read_committed}, so only positions of
 * committed transactions count.
 *
 * <p>Each key is written to one partition, chosen as the default partitioner would and set
 * explicitly, so the reader reads that partition only.
 *
 * <p>Threading: confined to the forwarder's thread.
 */
public final class OffsetStore {

    private static final Pattern INDEX = Pattern.compile("\"index\":(-?\\d+)");
    private static final Pattern REPAIRS = Pattern.compile("\"repairs\":(\\d+)");

    private final String topic;
    private final byte[] key;
    private final String id;
    private final String describe;

    public OffsetStore(String topic, String transactionalId, String node, String name, String journal) {
        this.topic = topic;
        this.id = transactionalId;
        this.key = transactionalId.getBytes(StandardCharsets.UTF_8);
        this.describe = ",\"node\":" + json(node) + ",\"name\":" + json(name) + ",\"journal\":" + json(journal) + "}";
    }

    public String topic() {
        return topic;
    }

    /**
     * The record that stores {@code index} as the committed position, an index of the journal at
     * repair generation {@code repairs}; send it inside the transaction.
     */
    public ProducerRecord<byte[], byte[]> record(int partitions, long index, int repairs) {
        byte[] value = ("{\"index\":" + index + ",\"repairs\":" + repairs + describe).getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, partitionOf(partitions), key, value);
    }

    private int partitionOf(int partitions) {
        return Utils.toPositive(Utils.murmur2(key)) % partitions;
    }

    /**
     * Reads the committed position of this forwarder's id: the last value for its key, read
     * {@code read_committed} to the partition's end. Empty if there is none.
     *
     * @param partitions the offsets topic's partition count
     * @throws org.apache.kafka.common.KafkaException on a Kafka error, or a timeout
     */
    public Optional<Committed> read(Map<String, Object> clientProps, int partitions, Duration timeout) {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "logpipe-offsets-" + id);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
            TopicPartition tp = new TopicPartition(topic, partitionOf(partitions));
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            // with read_committed, the end is the last stable offset: every transaction before it is decided
            long end = c.endOffsets(List.of(tp), left(deadline)).get(tp);
            Optional<Committed> last = Optional.empty();
            while (c.position(tp, left(deadline)) < end) {
                if (System.nanoTime() - deadline > 0) {
                    throw new org.apache.kafka.common.errors.TimeoutException(
                            "reading the offsets topic " + topic + " took longer than " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (!Arrays.equals(r.key(), key)) {
                        continue;
                    }
                    last = r.value() == null ? Optional.empty() : parse(r.value());
                }
            }
            return last;
        }
    }

    /** The offsets topic's partition count, or -1 if it is unknown to the producer's metadata. */
    public static int partitions(List<PartitionInfo> infos) {
        return infos == null || infos.isEmpty() ? -1 : infos.size();
    }

    static Optional<Committed> parse(byte[] value) {
        String s = new String(value, StandardCharsets.UTF_8);
        Matcher m = INDEX.matcher(s);
        if (!m.find()) {
            return Optional.empty();
        }
        Matcher g = REPAIRS.matcher(s);
        // written before repair generations were kept: there was no repair map to translate by then
        int repairs = g.find() ? Integer.parseInt(g.group(1)) : 0;
        return Optional.of(new Committed(Long.parseLong(m.group(1)), repairs));
    }

    /**
     * A committed position.
     *
     * @param index the last journal index done
     * @param repairs the journal's repair generation when it was committed
     */
    public record Committed(long index, int repairs) {
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(1_000_000L, deadline - System.nanoTime()));
    }

    private static String json(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        FieldValue.appendJsonString(sb, s);
        return sb.toString();
    }
}
