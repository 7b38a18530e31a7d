package dev.logpipe.server.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The config file's {@code forward: kafka:} section. */
class ForwardKafkaConfigTest {

    private final ConfigLoader loader = new ConfigLoader(Interpolator.of(Map.of("KAFKA", "k1:9092,k2:9092")));

    private SettingsLayer load(String yaml) throws ConfigException {
        return loader.load("test.yaml", new StringReader(yaml));
    }

    private String error(String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml)).getMessage();
    }

    @Test
    void readsEveryKeyTypedAndInterpolatedBesideServeKeys() throws Exception {
        SettingsLayer l = load("""
                data: /srv/journal
                forward:
                  kafka:
                    bootstrap-servers: ${KAFKA}
                    topic: logs.web
                    name: fwd-1
                    mode: at-least-once
                    from: end
                    key: host
                    node: web-7
                    producer-config: /etc/logpipe/kafka.properties
                    transaction-records: 5_000
                    transaction-time: 250ms
                    startup-timeout: 1m
                    admin-port: 5181
                    admin-bind: 0.0.0.0
                port: 6000
                """);
        assertEquals(Path.of("/srv/journal"), l.get(ConfigKey.DATA));
        assertEquals(6000, l.get(ConfigKey.PORT));
        ForwardKafkaSection f = l.forwardKafka();
        assertEquals("k1:9092,k2:9092", f.get(ForwardKafkaKey.BOOTSTRAP_SERVERS));
        assertEquals("logs.web", f.get(ForwardKafkaKey.TOPIC));
        assertEquals("fwd-1", f.get(ForwardKafkaKey.NAME));
        assertEquals("at-least-once", f.get(ForwardKafkaKey.MODE));
        assertEquals("end", f.get(ForwardKafkaKey.FROM));
        assertEquals("host", f.get(ForwardKafkaKey.KEY));
        assertEquals("web-7", f.get(ForwardKafkaKey.NODE));
        assertEquals(Path.of("/etc/logpipe/kafka.properties"), f.get(ForwardKafkaKey.PRODUCER_CONFIG));
        assertEquals(5_000, f.get(ForwardKafkaKey.TRANSACTION_RECORDS));
        assertEquals(Duration.ofMillis(250), f.get(ForwardKafkaKey.TRANSACTION_TIME));
        assertEquals(Duration.ofMinutes(1), f.get(ForwardKafkaKey.STARTUP_TIMEOUT));
        assertEquals(5181, f.get(ForwardKafkaKey.ADMIN_PORT));
        assertEquals("0.0.0.0", f.get(ForwardKafkaKey.ADMIN_BIND));
        assertEquals("test.yaml line 5", f.origin(ForwardKafkaKey.TOPIC));
        assertEquals("5_000", f.text(ForwardKafkaKey.TRANSACTION_RECORDS));
    }

    @Test
    void unsetKeysKeepTheCommandsDefaultsAndNoSectionIsNull() throws Exception {
        ForwardKafkaSection f = load("forward:\n  kafka: {bootstrap-servers: 'b:1', topic: logs}\n").forwardKafka();
        assertNull(f.get(ForwardKafkaKey.MODE));
        assertEquals(List.of("bootstrap-servers: b:1", "topic: logs", "mode: exactly-once (default)", "from: start (default)",
                "key: service (default)", "transaction-records: 10000 (default)", "transaction-time: 100ms (default)",
                "startup-timeout: 30s (default)", "admin-bind: 127.0.0.1 (default)"), f.describe());
        assertNull(load("port: 5140\n").forwardKafka());
        assertNull(load("forward:\n").forwardKafka());
    }

    @Test
    void unknownKeyIsRefusedWithTheKnownOnes() {
        assertEquals("test.yaml:5: forward.kafka: unknown key 'tx-records'; known keys: bootstrap-servers, topic, name,"
                + " mode, from, key, node, producer-config, transaction-records, transaction-time, startup-timeout,"
                + " admin-port, admin-bind", error("""
                forward:
                  kafka:
                    bootstrap-servers: b:1
                    topic: logs
                    tx-records: 10
                """));
    }

    @Test
    void unknownDestinationIsRefused() {
        assertEquals("test.yaml:2: forward: unknown destination 'pulsar'; known destinations: kafka",
                error("forward:\n  pulsar:\n    topic: logs\n"));
    }

    @Test
    void missingTopicOrBrokersIsRefusedWithWhatToAdd() {
        assertEquals("test.yaml:2: forward.kafka: topic is required; add 'topic: TOPIC' under it",
                error("forward:\n  kafka:\n    bootstrap-servers: b:1\n"));
        assertEquals("test.yaml:2: forward.kafka: bootstrap-servers is required; add 'bootstrap-servers:"
                + " HOST:PORT[,HOST:PORT...]' under it", error("forward:\n  kafka:\n    topic: logs\n"));
    }

    @Test
    void badValuesNameTheKeyAndLine() {
        String head = "forward:\n  kafka:\n    bootstrap-servers: b:1\n    topic: logs\n";
        assertEquals("test.yaml:5: forward.kafka.transaction-records: 'many' is not a whole number",
                error(head + "    transaction-records: many\n"));
        assertEquals("test.yaml:5: forward.kafka.transaction-records: must be between 1 and 2147483647, was 0",
                error(head + "    transaction-records: 0\n"));
        assertEquals("test.yaml:5: forward.kafka.transaction-time: must be positive, was 0",
                error(head + "    transaction-time: 0\n"));
        assertEquals("test.yaml:5: forward.kafka.mode: 'once' is not one of: exactly-once, at-least-once",
                error(head + "    mode: once\n"));
        assertEquals("test.yaml:5: forward.kafka.admin-port: port 70000 is out of range; use 1-65535 (or 0 for any free port)",
                error(head + "    admin-port: 70000\n"));
        assertEquals("test.yaml:4: forward.kafka.topic: 'a/b' is not a valid Kafka topic name (1-249 letters, digits, '.', '_', '-')",
                error("forward:\n  kafka:\n    bootstrap-servers: b:1\n    topic: a/b\n"));
        assertEquals("test.yaml:5: forward.kafka.node: takes one value, not a list", error(head + "    node: [a, b]\n"));
        assertEquals("test.yaml:2: forward.kafka: takes a mapping of settings, e.g. 'bootstrap-servers: kafka1:9092' and"
                + " 'topic: logs' indented under it", error("forward:\n  kafka: yes\n"));
        assertEquals("test.yaml:1: forward: takes a mapping of destinations, e.g. 'forward:' then '  kafka:' indented",
                error("forward: kafka\n"));
    }

    @Test
    void aKeyGivenTwiceIsRefused() {
        assertEquals("test.yaml:4: key 'topic' is given twice; keep one",
                error("forward:\n  kafka:\n    topic: a\n    topic: b\n"));
    }
}
