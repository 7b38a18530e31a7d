package dev.logpipe.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.FileSink;
import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.it.support.ChildJvm;
import dev.logpipe.runtime.TaskRuntime;
import dev.logpipe.testsupport.Conditions;
import dev.logpipe.testsupport.MutableClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code logpipe forward kafka} command in child JVMs against a KRaft broker in this JVM:
 * SIGKILLed in the middle of a journal that is being written and rotated, restarted, watched through
 * its admin port and {@code logpipe stats}, stopped with SIGTERM (exit 0); a {@code read_committed}
 * consumer then finds every journal record once, in order. And a missing topic at start: exit 1
 * with the house-style message.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ForwardKafkaTest {

    static final Instant BASE = Instant.parse("2026-11-25T10:00:00Z");
    static final Pattern ADMIN = Pattern.compile("admin +http://127\\.0\\.0\\.1:(\\d+)");
    static final ObjectMapper JSON = new ObjectMapper();

    static KafkaClusterTestKit kit;

    @TempDir
    Path dir;

    @TempDir
    Path logs;

    @BeforeAll
    static void startBroker() throws Exception {
        kit = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("transaction.state.log.num.partitions", "1")
                .build();
        kit.format();
        kit.startup();
        kit.waitForReadyBrokers();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kit != null) {
            kit.close();
        }
    }

    static void createTopic(String topic) throws Exception {
        try (Admin a = kit.admin()) {
            a.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** A journal written in this JVM, minutely segments on a hand-moved clock; record n has message m&lt;n&gt;. */
    static final class Journal implements AutoCloseable {
        final MutableClock clock = new MutableClock(BASE);
        final TaskRuntime runtime = TaskRuntime.builder().workerThreads(2).maxBlockingThreads(4).threadNamePrefix("it-journal").build();
        final FileSink sink;
        final Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(4096);
        long next;

        Journal(Path dir) {
            sink = FileSink.builder(dir).runtime(runtime).rollCycle(RollCycle.MINUTELY).timeProvider(clock).build();
            sink.start(ch.receiver());
        }

        void append(int count) throws Exception {
            AppendRequest last = null;
            for (int i = 0; i < count; i++) {
                long n = next++;
                last = AppendRequest.withReceipt(LogRecord.builder().service("svc").host("h").message("m" + n).build());
                ch.sender().blockingSend(last);
            }
            last.written().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            ch.sender().close();
            sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            runtime.shutdown(Duration.ofSeconds(5));
        }
    }

    List<String> command(String topic) {
        return List.of("forward", "kafka", "--data", dir.toString(), "--bootstrap-servers", kit.bootstrapServers(),
                "--topic", topic, "--node", "it", "--transaction-records", "50", "--transaction-time", "20ms",
                "--admin-port", "0");
    }

    /** Waits for the child's admin port in its startup lines. */
    static int adminPort(Process p, Path out) {
        Conditions.await("the forwarder's startup lines", Duration.ofSeconds(60),
                () -> ADMIN.matcher(ChildJvm.read(out)).find() || !p.isAlive());
        Matcher m = ADMIN.matcher(ChildJvm.read(out));
        assertTrue(m.find(), "no admin line in: " + ChildJvm.read(out));
        return Integer.parseInt(m.group(1));
    }

    static String get(int port, String path) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.body();
        } catch (Exception e) {
            return "";
        }
    }

    static JsonNode forwarderStats(int port) {
        try {
            return JSON.readTree(get(port, "/stats")).path("forwarder");
        } catch (Exception e) {
            return JSON.missingNode();
        }
    }

    @Test
    void exactlyOnceAcrossASigkillOfTheCommandThenSigtermExitsZero() throws Exception {
        String topic = "it-forward";
        createTopic(topic);
        long total;
        try (Journal j = new Journal(dir)) {
            j.append(500);
            CompletableFuture<Void> feeder = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 24; i++) {
                        j.append(150);
                        if (i % 6 == 5) {
                            j.clock.advance(Duration.ofMinutes(1)); // the journal rotates while it is forwarded
                        }
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Path out1 = logs.resolve("fwd-1.out");
            Process first = ChildJvm.start(out1, logs.resolve("fwd-1.err"), List.of("-Xmx256m"), command(topic));
            int port1 = adminPort(first, out1);
            Conditions.await("the first forwarder commits", Duration.ofSeconds(60),
                    () -> forwarderStats(port1).path("records_forwarded").asLong() >= 300 || !first.isAlive());
            first.destroyForcibly(); // SIGKILL, mid-stream
            assertTrue(first.waitFor(20, TimeUnit.SECONDS));
            assertEquals(137, first.exitValue(), ChildJvm.read(logs.resolve("fwd-1.err")));

            Path out2 = logs.resolve("fwd-2.out");
            Process second = ChildJvm.start(out2, logs.resolve("fwd-2.err"), List.of("-Xmx256m"), command(topic));
            int port2 = adminPort(second, out2);
            feeder.get(60, TimeUnit.SECONDS);
            List<Long> indexes = new ArrayList<>();
            try (JournalReader r = JournalReader.open(dir)) {
                for (ReadRecord rr; (rr = r.next()) != null; ) {
                    indexes.add(rr.index());
                }
            }
            total = indexes.size();
            assertEquals(j.next, total);
            long last = indexes.get(indexes.size() - 1);
            Conditions.await(Duration.ofSeconds(60), "the second forwarder catches up",
                    () -> forwarderStats(port2).path("last_committed_index").asLong() == last || !second.isAlive(),
                    () -> get(port2, "/stats") + ChildJvm.read(logs.resolve("fwd-2.err")));
            assertTrue(second.isAlive(), ChildJvm.read(logs.resolve("fwd-2.err")));

            assertTrue(get(port2, "/metrics").contains("logpipe_forward_last_committed_index " + (double) last),
                    get(port2, "/metrics"));
            assertEquals("ok\n", get(port2, "/health"));
            ChildJvm.Result stats = ChildJvm.run(logs, Duration.ofSeconds(60), null, "stats", "--admin-port",
                    Integer.toString(port2));
            assertEquals(0, stats.exitCode(), stats.toString());
            assertTrue(stats.stdout().startsWith("logpipe forward kafka  running, ready"), stats.toString());
            assertTrue(stats.stdout().contains("last index     " + last), stats.toString());

            second.toHandle().destroy(); // SIGTERM
            assertTrue(second.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, second.exitValue(), ChildJvm.read(logs.resolve("fwd-2.err")));
            assertTrue(ChildJvm.read(out2).contains("stopped: "), ChildJvm.read(out2));
        }
        Map<String, Object> p = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kit.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<Long> numbers = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (numbers.size() < total && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    numbers.add(number(new String(r.value(), StandardCharsets.UTF_8)));
                }
            }
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                numbers.add(number(new String(r.value(), StandardCharsets.UTF_8))); // a duplicate would show here
            }
        }
        assertEquals(total, numbers.size(), "every record once");
        for (int n = 0; n < numbers.size(); n++) {
            assertEquals(n, numbers.get(n), "in journal order");
        }
    }

    @Test
    void runsFromTheConfigFilesForwardSection() throws Exception {
        String topic = "it-forward-config";
        createTopic(topic);
        List<Long> indexes = new ArrayList<>();
        try (Journal j = new Journal(dir)) {
            j.append(120);
        }
        try (JournalReader r = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                indexes.add(rr.index());
            }
        }
        long last = indexes.get(indexes.size() - 1);
        Path config = logs.resolve("logpipe.yaml");
        // Only --config on the command line: the journal from data, every forwarder setting from forward.kafka.
        java.nio.file.Files.writeString(config, "data: " + dir + "\nforward:\n  kafka:\n"
                + "    bootstrap-servers: " + kit.bootstrapServers() + "\n    topic: " + topic + "\n"
                + "    name: from-config\n    node: node-from-config\n    key: none\n"
                + "    transaction-records: 25\n    transaction-time: 20ms\n    admin-port: 0\n");
        Path out = logs.resolve("fwd-config.out");
        Process p = ChildJvm.start(out, logs.resolve("fwd-config.err"), List.of("-Xmx256m"),
                List.of("forward", "kafka", "--config", config.toString()));
        try {
            int port = adminPort(p, out);
            Conditions.await(Duration.ofSeconds(60), "the forwarder commits the whole journal",
                    () -> forwarderStats(port).path("last_committed_index").asLong() == last || !p.isAlive(),
                    () -> get(port, "/stats") + ChildJvm.read(logs.resolve("fwd-config.err")));
            JsonNode stats = forwarderStats(port);
            assertEquals(120, stats.path("records_forwarded").asLong(), stats.toString());
            // 120 records in transactions of at most 25 (the file's transaction-records): at least 5 commits
            assertTrue(stats.path("transactions_committed").asLong() >= 5, stats.toString());
            assertTrue(ChildJvm.read(out).contains("name from-config"), ChildJvm.read(out));
            p.toHandle().destroy(); // SIGTERM
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), ChildJvm.read(logs.resolve("fwd-config.err")));
        } finally {
            p.destroyForcibly();
        }
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kit.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<Long> got = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (got.size() < indexes.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    assertEquals("node-from-config", new String(r.headers().lastHeader("logpipe-node").value(),
                            StandardCharsets.UTF_8));
                    assertEquals(null, r.key(), "key: none from the file");
                    got.add(Long.parseLong(new String(r.headers().lastHeader("logpipe-index").value(),
                            StandardCharsets.US_ASCII)));
                }
            }
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                got.add(-1L); // a duplicate would show here
            }
        }
        assertEquals(indexes, got, "every journal record once, in order");
    }

    @Test
    void aMissingTopicIsAFailureThatSaysWhatToDo() throws Exception {
        try (Journal j = new Journal(dir)) {
            j.append(1);
        }
        ChildJvm.Result r = ChildJvm.run(logs, Duration.ofSeconds(60), null, "forward", "kafka", "--data", dir.toString(),
                "--bootstrap-servers", kit.bootstrapServers(), "--topic", "nope");
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.stderr().endsWith("logpipe forward kafka: topic 'nope' does not exist at " + kit.bootstrapServers()
                + "; create it (kafka-topics.sh --create --topic nope ...) or check --topic\n"), r.toString());
    }

    private static long number(String json) {
        int i = json.indexOf("\"message\":\"m");
        return Long.parseLong(json.substring(i + 12, json.indexOf('"', i + 12)));
    }
}
