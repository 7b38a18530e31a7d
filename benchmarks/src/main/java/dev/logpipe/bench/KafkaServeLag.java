package dev.logpipe.bench;

import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.forward.kafka.DeliveryMode;
import dev.logpipe.forward.kafka.ForwarderMetrics;
import dev.logpipe.forward.kafka.KafkaForwarder;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The Kafka forwarder's lag while a real {@code logpipe serve} writes the journal at full rate:
 * the forwarding half of {@code bench/forward-lag.sh}, which starts {@code serve} and the load
 * generator ({@code IngestLoad}) around it.
 *
 * <p>Starts a single KRaft broker in this JVM (Kafka's test kit, loopback, replication factor 1)
 * with a one-partition topic whose record timestamps are the broker's append time
 * ({@code message.timestamp.type=LogAppendTime}), then a {@link KafkaForwarder} (the API that
 * {@code logpipe forward kafka} runs) on {@code serve}'s journal {@code --data DIR}, from its start,
 * and prints {@code ready}. From the first record forwarded until {@code --records} records are
 * committed it samples the forwarder's lag every 100 ms ({@link ForwarderMetrics#lagRecords()}:
 * records in the journal after the last committed one; {@link ForwarderMetrics#lagSeconds()}: age of
 * the oldest record not yet committed). Then it reads the topic {@code read_committed} and the whole
 * journal, and checks that every journal index arrived exactly once (no record missing, none twice,
 * none that is not in the journal); for every record, receive-to-append = the broker's append time
 * minus the record's {@code receive_time} (same machine, same clock; millisecond resolution).
 * Prints one line; exits 1 if the check fails or the records did not all arrive in time.
 *
 * <p>The broker shares the machine's cores with the forwarder, {@code serve} and the generator:
 * figures show the lag under a saturated machine, not a cluster's capacity.
 *
 * <p>Usage: {@code java <chronicle flags> -cp benchmarks.jar dev.logpipe.bench.KafkaServeLag --data DIR
 * --records N [--mode exactly-once|at-least-once] [--tx-records N] [--timeout SECONDS]}.
 *
 * <p>Threading: a program; all state confined to {@code main} (the forwarder and broker run their own threads).
 */
public final class KafkaServeLag {

    private static final String TOPIC = "serve-lag";

    private KafkaServeLag() {
    }

    public static void main(String[] args) throws Exception {
        Path data = null;
        long records = -1;
        DeliveryMode mode = DeliveryMode.EXACTLY_ONCE;
        int tx = 10_000;
        long timeoutSeconds = 300;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--records" -> records = Long.parseLong(args[++i]);
                case "--mode" -> mode = DeliveryMode.valueOf(args[++i].toUpperCase(Locale.ROOT).replace('-', '_'));
                case "--tx-records" -> tx = Integer.parseInt(args[++i]);
                case "--timeout" -> timeoutSeconds = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: --data DIR"
                        + " --records N [--mode exactly-once|at-least-once] [--tx-records N] [--timeout SECONDS]");
            }
        }
        if (data == null || records <= 0) {
            throw new IllegalArgumentException("--data DIR and --records N are required");
        }
        if (!Files.isDirectory(data)) {
            throw new IllegalArgumentException("no journal at " + data + "; start logpipe serve --data " + data + " first");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        KafkaClusterTestKit kit = KafkaForwardBench.startBroker();
        int rc;
        try {
            String bootstrap = kit.bootstrapServers();
            try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                a.createTopics(List.of(new NewTopic(TOPIC, Optional.of(1), Optional.empty())
                        .configs(Map.of("message.timestamp.type", "LogAppendTime")))).all().get(30, TimeUnit.SECONDS);
            }
            rc = run(data, bootstrap, records, mode, tx, deadline);
        } finally {
            kit.close();
        }
        System.exit(rc);
    }

    private static int run(Path data, String bootstrap, long records, DeliveryMode mode, int tx, long deadline)
            throws Exception {
        Histogram lagRecords = new Histogram(3);
        Histogram lagMillis = new Histogram(3);
        long first = 0;
        long last = 0;
        ForwarderMetrics m;
        KafkaForwarder.Builder b = KafkaForwarder.builder(data, bootstrap, TOPIC).mode(mode).node("bench")
                .maxTransactionTime(Duration.ofMillis(100));
        if (mode == DeliveryMode.EXACTLY_ONCE) {
            b.maxTransactionRecords(tx);
        }
        try (KafkaForwarder f = b.start()) {
            System.out.println("ready");
            System.out.flush();
            long seen = 0;
            while (true) {
                m = f.metrics();
                long now = System.nanoTime();
                if (m.recordsForwarded() > seen) {
                    if (seen == 0) {
                        first = now;
                    }
                    seen = m.recordsForwarded();
                    last = now;
                }
                if (seen > 0) {
                    lagRecords.recordValue(Math.max(0, m.lagRecords()));
                    lagMillis.recordValue(Math.round(m.lagSeconds() * 1000));
                }
                if (seen >= records || now - deadline > 0 || f.terminated().toCompletableFuture().isDone()) {
                    break;
                }
                Thread.sleep(100);
            }
        }
        if (m.recordsForwarded() < records) {
            System.out.println("FAILED: " + m.recordsForwarded() + " of " + records + " records forwarded before the"
                    + " deadline or the forwarder's end: " + m);
            return 1;
        }
        // Exactly once: the topic (read_committed) against the journal, index by index.
        Set<Long> journal = new HashSet<>();
        try (JournalReader r = JournalReader.builder(data).fromStart().build()) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                journal.add(rr.index());
            }
        }
        Set<Long> topic = new HashSet<>();
        long consumed = 0;
        long duplicates = 0;
        long foreign = 0;
        Histogram appendMillis = new Histogram(3);
        Map<String, Object> cc = new HashMap<>();
        cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cc.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            while (c.position(tp) < end && System.nanoTime() - deadline < 0) {
                for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(500))) {
                    consumed++;
                    Header h = rec.headers().lastHeader("logpipe-index");
                    long index = Long.parseLong(new String(h.value(), StandardCharsets.US_ASCII));
                    if (!topic.add(index)) {
                        duplicates++;
                    }
                    if (!journal.contains(index)) {
                        foreign++;
                    }
                    long receivedMs = receiveTime(rec.value()).toEpochMilli();
                    appendMillis.recordValue(Math.max(0, rec.timestamp() - receivedMs));
                }
            }
        }
        long missing = journal.stream().filter(i -> !topic.contains(i)).count();
        boolean ok = duplicates == 0 && missing == 0 && foreign == 0 && consumed == journal.size();
        double secs = (last - first) / 1e9;
        System.out.printf(Locale.ROOT, "forward %s tx_records=%s: %,d records forwarded in %.2f s (%,.0f records/s, first to"
                        + " last committed); lag sampled every 100 ms (%d samples): records p50 %,d p99 %,d max %,d,"
                        + " seconds p50 %.3f p99 %.3f max %.3f; receive-to-Kafka-append ms p50 %d p99 %d max %d;"
                        + " journal %,d records, topic read_committed %,d, duplicates %d, missing %d, not in journal %d: %s%n",
                mode == DeliveryMode.EXACTLY_ONCE ? "exactly-once" : "at-least-once",
                mode == DeliveryMode.EXACTLY_ONCE ? Integer.toString(tx) : "-",
                m.recordsForwarded(), secs, secs > 0 ? m.recordsForwarded() / secs : 0.0, lagRecords.getTotalCount(),
                lagRecords.getValueAtPercentile(50), lagRecords.getValueAtPercentile(99), lagRecords.getMaxValue(),
                lagMillis.getValueAtPercentile(50) / 1000.0, lagMillis.getValueAtPercentile(99) / 1000.0,
                lagMillis.getMaxValue() / 1000.0, appendMillis.getValueAtPercentile(50),
                appendMillis.getValueAtPercentile(99), appendMillis.getMaxValue(), journal.size(), consumed, duplicates,
                missing, foreign, ok ? "exactly once" : "NOT exactly once");
        return ok ? 0 : 1;
    }

    /** The {@code receive_time} of a record's JSON (the forwarder's value), without a JSON parser. */
    private static Instant receiveTime(byte[] value) {
        String s = new String(value, StandardCharsets.UTF_8);
        String key = "\"receive_time\":\"";
        int from = s.indexOf(key) + key.length();
        return Instant.parse(s.substring(from, s.indexOf('"', from)));
    }
}
