package dev.logpipe.bench;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.FileSink;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.forward.kafka.DeliveryMode;
import dev.logpipe.forward.kafka.ForwarderMetrics;
import dev.logpipe.forward.kafka.KafkaForwarder;
import dev.logpipe.runtime.TaskRuntime;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark program of the Kafka forwarder: records per second forwarded from a journal to a local
 * broker, exactly once (per transaction size) and at least once, and the lag while a writer in this
 * JVM fills the journal at full rate (beside a real {@code logpipe serve}: {@link KafkaServeLag}).
 *
 * <p>Two phases per configuration, each on a fresh topic with one partition:
 * <ol>
 *   <li><b>backlog</b>: {@code --records} records (~200 bytes of JSON each) already in the journal;
 *   the forwarder starts at the journal's start; records/s = records / (time until the last one is
 *   committed − start).</li>
 *   <li><b>live</b>: a writer thread appends {@code --records} records as fast as the journal takes
 *   them while the forwarder follows; every 100 ms the forwarder's lag is sampled (records and
 *   seconds); prints the writer's rate, the forwarder's rate and the lag's mean and maximum.</li>
 * </ol>
 *
 * <p>The broker: {@code --bootstrap HOST:PORT} for one that runs already, otherwise a single KRaft
 * node started in this JVM (Kafka's test kit, replication factor 1), which shares the machine's
 * cores with the forwarder: figures are for comparing configurations, not a cluster's capacity.
 *
 * <p>Usage: {@code java <chronicle flags> -cp benchmarks.jar dev.logpipe.bench.KafkaForwardBench
 * [--records N] [--tx-records N,N,...] [--modes exactly-once,at-least-once] [--bootstrap HOST:PORT]
 * [--dir DIR]}. Each phase's journal (under {@code --dir}, default a temporary directory) is deleted
 * when the phase ends.
 *
 * <p>Threading: a program; all state confined to {@code main} and the threads it starts.
 */
public final class KafkaForwardBench {

    private KafkaForwardBench() {
    }

    public static void main(String[] args) throws Exception {
        int records = 200_000;
        List<Integer> txSizes = List.of(1_000, 10_000);
        List<DeliveryMode> modes = List.of(DeliveryMode.EXACTLY_ONCE, DeliveryMode.AT_LEAST_ONCE);
        String bootstrap = null;
        Path base = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--records" -> records = Integer.parseInt(args[++i]);
                case "--tx-records" -> txSizes = parseInts(args[++i]);
                case "--modes" -> modes = parseModes(args[++i]);
                case "--bootstrap" -> bootstrap = args[++i];
                case "--dir" -> base = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: [--records N] [--tx-records N,N] [--modes exactly-once,at-least-once]"
                        + " [--bootstrap HOST:PORT] [--dir DIR]");
            }
        }
        KafkaClusterTestKit kit = null;
        if (bootstrap == null) {
            kit = startBroker();
            bootstrap = kit.bootstrapServers();
        }
        Path root = base != null ? Files.createDirectories(base) : Files.createTempDirectory("kafka-forward-bench");
        boolean temporary = base == null;
        TaskRuntime runtime = TaskRuntime.builder().threadNamePrefix("bench").build();
        System.out.printf(Locale.ROOT, "# KafkaForwardBench: %d records per run, broker %s, %d cores, java %s%n",
                records, kit != null ? "in this JVM" : bootstrap, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        try {
            int run = 0;
            for (DeliveryMode mode : modes) {
                for (int tx : mode == DeliveryMode.EXACTLY_ONCE ? txSizes : List.of(0)) {
                    run++;
                    Path backlog = root.resolve("backlog-" + run);
                    Path live = root.resolve("live-" + run);
                    try {
                        backlog(runtime, backlog, bootstrap, "bench-backlog-" + run, mode, tx, records);
                        live(runtime, live, bootstrap, "bench-live-" + run, mode, tx, records);
                    } finally {
                        BenchFiles.deleteTree(backlog);
                        BenchFiles.deleteTree(live);
                    }
                }
            }
        } finally {
            runtime.shutdown(Duration.ofSeconds(5));
            if (kit != null) {
                kit.close();
            }
            if (temporary) {
                BenchFiles.deleteTree(root);
            }
        }
    }

    private static void backlog(TaskRuntime runtime, Path dir, String bootstrap, String topic, DeliveryMode mode, int tx,
                                int records) throws Exception {
        createTopic(bootstrap, topic);
        long last;
        try (Journal j = new Journal(runtime, dir)) {
            last = j.append(records);
        }
        long t0 = System.nanoTime();
        ForwarderMetrics m;
        try (KafkaForwarder f = forwarder(dir, bootstrap, topic, mode, tx)) {
            m = awaitCommitted(f, last);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "backlog %-13s tx_records=%-6s %,10.0f records/s  (%d records in %.2f s, %d transactions)%n",
                mode, tx == 0 ? "-" : Integer.toString(tx), records / secs, m.recordsForwarded(), secs,
                m.transactionsCommitted());
    }

    private static void live(TaskRuntime runtime, Path dir, String bootstrap, String topic, DeliveryMode mode, int tx,
                             int records) throws Exception {
        createTopic(bootstrap, topic);
        try (Journal j = new Journal(runtime, dir)) {
            j.append(1);
            try (KafkaForwarder f = forwarder(dir, bootstrap, topic, mode, tx)) {
                long t0 = System.nanoTime();
                long[] writerEnd = new long[1];
                long[] lastIndex = new long[1];
                Thread writer = new Thread(() -> {
                    try {
                        lastIndex[0] = j.append(records);
                        writerEnd[0] = System.nanoTime();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, "bench-writer");
                writer.start();
                double lagSum = 0;
                double lagMax = 0;
                long recMax = 0;
                int samples = 0;
                while (writer.isAlive()) {
                    Thread.sleep(100);
                    ForwarderMetrics m = f.metrics();
                    lagSum += m.lagSeconds();
                    lagMax = Math.max(lagMax, m.lagSeconds());
                    recMax = Math.max(recMax, m.lagRecords());
                    samples++;
                }
                writer.join();
                awaitCommitted(f, lastIndex[0]);
                double fwdSecs = (System.nanoTime() - t0) / 1e9;
                double wSecs = (writerEnd[0] - t0) / 1e9;
                System.out.printf(Locale.ROOT, "live    %-13s tx_records=%-6s writer %,10.0f records/s, forwarded %,10.0f records/s;"
                                + " lag mean %.3f s, max %.3f s, max %,d records (%d samples)%n",
                        mode, tx == 0 ? "-" : Integer.toString(tx), records / wSecs, records / fwdSecs,
                        samples == 0 ? 0 : lagSum / samples, lagMax, recMax, samples);
            }
        }
    }

    private static KafkaForwarder forwarder(Path dir, String bootstrap, String topic, DeliveryMode mode, int tx) {
        KafkaForwarder.Builder b = KafkaForwarder.builder(dir, bootstrap, topic).mode(mode).node("bench");
        if (tx > 0) {
            b.maxTransactionRecords(tx).maxTransactionTime(Duration.ofMillis(100));
        }
        return b.start();
    }

    private static ForwarderMetrics awaitCommitted(KafkaForwarder f, long last) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (f.metrics().lastCommittedIndex() != last) {
            if (System.nanoTime() - deadline > 0 || f.terminated().toCompletableFuture().isDone()) {
                throw new IllegalStateException("the forwarder did not catch up: " + f.metrics());
            }
            Thread.sleep(2);
        }
        return f.metrics();
    }

    /** A single-node KRaft broker in this JVM, replication factors 1 (also for {@link KafkaServeLag}). */
    static KafkaClusterTestKit startBroker() throws Exception {
        KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("transaction.state.log.num.partitions", "1")
                .build();
        kit.format();
        kit.startup();
        kit.waitForReadyBrokers();
        return kit;
    }

    private static void createTopic(String bootstrap, String topic) throws Exception {
        try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            a.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static List<Integer> parseInts(String s) {
        List<Integer> out = new ArrayList<>();
        for (String p : s.split(",")) {
            out.add(Integer.parseInt(p.trim()));
        }
        return out;
    }

    private static List<DeliveryMode> parseModes(String s) {
        List<DeliveryMode> out = new ArrayList<>();
        for (String p : s.split(",")) {
            out.add(DeliveryMode.valueOf(p.trim().toUpperCase(Locale.ROOT).replace('-', '_')));
        }
        return out;
    }

    /** A journal written by this program, ~200-byte records. */
    private static final class Journal implements AutoCloseable {
        private final FileSink sink;
        private final Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(8192);
        private long n;

        Journal(TaskRuntime runtime, Path dir) {
            sink = FileSink.builder(dir).runtime(runtime).syncInterval(Duration.ofMillis(100)).build();
            sink.start(ch.receiver());
        }

        /** Appends {@code count} records, waits until written; returns the last one's index. */
        long append(int count) throws Exception {
            AppendRequest last = null;
            for (int i = 0; i < count; i++) {
                LogRecord r = LogRecord.builder().level(Level.INFO).service("checkout").host("web-7")
                        .message("GET /api/orders/" + n + " 200 12ms user=u" + (n % 977))
                        .field("trace_id", Long.toHexString(n * 0x9E3779B97F4A7C15L)).field("n", Long.toString(n)).build();
                n++;
                AppendRequest req = i == count - 1 ? AppendRequest.withReceipt(r) : AppendRequest.of(r);
                ch.sender().blockingSend(req);
                last = req;
            }
            return last.written().toCompletableFuture().get(5, TimeUnit.MINUTES);
        }

        @Override
        public void close() throws Exception {
            ch.sender().close();
            sink.terminated().toCompletableFuture().get(1, TimeUnit.MINUTES);
        }
    }
}
