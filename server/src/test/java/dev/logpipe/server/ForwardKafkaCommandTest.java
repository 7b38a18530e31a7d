package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logpipe.forward.kafka.DeliveryMode;
import dev.logpipe.forward.kafka.ForwarderMetrics;
import dev.logpipe.forward.kafka.ForwarderState;
import dev.logpipe.server.internal.admin.ForwarderAdminMetrics;
import dev.logpipe.server.internal.config.ForwardKafkaKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code logpipe forward kafka} without a broker: usage errors, start errors, the stats view. */
class ForwardKafkaCommandTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            forward                                                   | logpipe forward: no destination given; try 'logpipe forward kafka --help'
            forward kafka --topic t                                   | logpipe forward kafka: --bootstrap-servers HOST:PORT[,HOST:PORT...] is required; see 'logpipe forward kafka --help'
            forward kafka --bootstrap-servers b:1 --topic t --mode x  | logpipe forward kafka: --mode: 'x' is not valid; use exactly-once or at-least-once
            forward kafka --bootstrap-servers b:1 --topic t --key k   | logpipe forward kafka: --key: 'k' is not valid; use service, host or none
            forward kafka --bootstrap-servers b:1 --topic t --from x  | logpipe forward kafka: --from: 'x' is not valid; use start or end
            forward kafka --bootstrap-servers b:1 --topic t --transaction-time 0s | logpipe forward kafka: --transaction-time must be more than 0
            forward kafka --bootstrap-servers b:1 --topic t --transaction-records 0 | logpipe forward kafka: --transaction-records must be at least 1, was 0
            forward kafka --bootstrap-servers b:1 --topic t --data /nonexistent/journal | logpipe forward kafka: no journal at /nonexistent/journal; pass --data DIR (the directory of 'logpipe serve')
            forward kafka --bootstrap-servers b:1 --topic t --producer-config /nonexistent.properties | logpipe forward kafka: --producer-config: no file /nonexistent.properties; check the path
            forward kafka --bootstrap-servers b:1 --topic a/b         | logpipe forward kafka: 'a/b' is not a valid Kafka topic name (1-249 letters, digits, '.', '_', '-'); see 'logpipe forward kafka --help'
            """)
    void usageErrorsExit2InTheHouseStyle(String args, String expected) throws Exception {
        String[] argv = args.split(" ");
        if (!args.contains("--data")) {
            String[] withData = java.util.Arrays.copyOf(argv, argv.length + 2);
            withData[argv.length] = "--data";
            withData[argv.length + 1] = dir.toString();
            argv = args.equals("forward") ? argv : withData;
        }
        CliRun r = CliRun.run(argv);
        assertEquals(2, r.code(), r.toString());
        assertEquals(expected + "\n", r.err());
    }

    @Test
    void unreachableBrokersAreAFailureThatSaysWhatToDo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // nothing listens there once closed
        }
        CliRun r = CliRun.run("forward", "kafka", "--data", dir.toString(), "--bootstrap-servers", "127.0.0.1:" + port,
                "--topic", "logs", "--startup-timeout", "1s");
        assertEquals(1, r.code(), r.toString());
        assertEquals("logpipe forward kafka: cannot reach Kafka at 127.0.0.1:" + port
                + " within 1s; check --bootstrap-servers and that the brokers are up\n", r.err());
    }

    @Test
    void everyConfigKeyIsAnOptionWithTheSameDefault() {
        CommandSpec cmd = Logpipe.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .getSubcommands().get("forward").getSubcommands().get("kafka").getCommandSpec();
        for (ForwardKafkaKey k : ForwardKafkaKey.values()) {
            OptionSpec o = cmd.findOption(k.flag());
            assertNotNull(o, k.flag());
            assertEquals(k.defaultText(), o.defaultValue(), k.flag());
        }
    }

    static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort(); // nothing listens there once closed
        }
    }

    @Test
    void settingsComeFromTheConfigFileAndFlagsWin() throws Exception {
        int port = closedPort();
        Path journal = Files.createDirectories(dir.resolve("journal"));
        Path f = dir.resolve("logpipe.yaml");
        Files.writeString(f, "data: " + journal + "\nforward:\n  kafka:\n    bootstrap-servers: 127.0.0.1:" + port
                + "\n    topic: logs\n    startup-timeout: 1s\n");
        // the journal, the brokers and the timeout all from the file (the default ./data does not exist here)
        CliRun r = CliRun.run("forward", "kafka", "--config", f.toString());
        assertEquals(1, r.code(), r.toString());
        assertEquals("logpipe forward kafka: cannot reach Kafka at 127.0.0.1:" + port
                + " within 1s; check --bootstrap-servers and that the brokers are up\n", r.err());
        r = CliRun.run("forward", "kafka", "--config", f.toString(), "--startup-timeout", "2s");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains(" within 2s;"), r.toString());
        r = CliRun.run("forward", "kafka", "--config", f.toString(), "--data", dir.resolve("none").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("logpipe forward kafka: no journal at " + dir.resolve("none")), r.toString());
    }

    @Test
    void aBadConfigFileIsAUsageError() throws Exception {
        Path f = dir.resolve("logpipe.yaml");
        Files.writeString(f, "forward:\n  kafka:\n    bootstrap-servers: b:1\n    topic: logs\n    transaction-records: many\n");
        CliRun r = CliRun.run("forward", "kafka", "--config", f.toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe forward kafka: " + f + ":5: forward.kafka.transaction-records: 'many' is not a whole number\n",
                r.err());
        Files.writeString(f, "data: " + dir + "\n");
        r = CliRun.run("forward", "kafka", "--config", f.toString(), "--bootstrap-servers", "b:1");
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe forward kafka: --topic TOPIC is required (or forward.kafka.topic in " + f
                + "); see 'logpipe forward kafka --help'\n", r.err());
    }

    @Test
    void serveRefusesABadForwardSectionToo() throws Exception {
        Path f = dir.resolve("logpipe.yaml");
        Files.writeString(f, "data: " + dir + "\nforward:\n  kafka:\n    bootstrap-servers: b:1\n");
        CliRun r = CliRun.run("serve", "--config", f.toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe serve: " + f + ":3: forward.kafka: topic is required; add 'topic: TOPIC' under it\n", r.err());
    }

    @Test
    void producerConfigIsReadAsProperties() throws Exception {
        Path f = dir.resolve("p.properties");
        Files.writeString(f, "security.protocol=SSL\n# comment\nlinger.ms = 20\n");
        assertEquals(Map.of("security.protocol", "SSL", "linger.ms", "20"), ForwardKafkaCommand.loadProperties(f));
    }

    @Test
    void statsShowsAForwarder() throws Exception {
        ForwarderMetrics m = new ForwarderMetrics(ForwarderState.RETRYING, DeliveryMode.EXACTLY_ONCE, 1234, 12, 1, 100,
                3, 987654, 42, 1.5, "broker down");
        ForwarderAdminMetrics metrics = new ForwarderAdminMetrics(() -> m, Map.of("name", "kafka-logs", "topic", "logs",
                "bootstrap_servers", "k:9092", "mode", "exactly-once", "transactional_id", "logpipe-n-kafka-logs-1",
                "data", "/data"));
        String json = new ObjectMapper().writeValueAsString(metrics.statsView(false));
        StringWriter sw = new StringWriter();
        StatsCommand.render(new ObjectMapper().readTree(json), new PrintWriter(sw));
        String text = sw.toString();
        assertTrue(text.startsWith("logpipe forward kafka  retrying, NOT READY, up "), text);
        assertTrue(text.contains("forwarding     /data -> topic logs at k:9092 (exactly-once)"), text);
        assertTrue(text.contains("forwarded               1,234 records  transactions 12 committed, 1 aborted"), text);
        assertTrue(text.contains("lag                        42 records  1.500 s behind"), text);
        assertTrue(text.contains("last index             987654"), text);
        assertTrue(text.contains("last error     broker down"), text);
        var writer = io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create();
        var bytes = new java.io.ByteArrayOutputStream();
        writer.write(bytes, metrics.registry().scrape());
        String prom = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(prom.contains("logpipe_forward_records_total 1234.0"), prom);
        assertTrue(prom.contains("logpipe_forward_transactions_total{outcome=\"aborted\"} 1.0"), prom);
        assertTrue(prom.contains("logpipe_forward_lag_records 42.0"), prom);
        assertTrue(prom.contains("logpipe_forward_state{state=\"retrying\"} 1.0"), prom);
    }
}
