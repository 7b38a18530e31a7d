package dev.logpipe.forward.kafka;

import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RecordJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ExactlyOnceTest {

    static TestBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = TestBroker.start();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    KafkaForwarder.Builder forwarder(String topic) {
        return KafkaForwarder.builder(dir, broker.bootstrap(), topic).node("node-1")
                .maxTransactionRecords(100).maxTransactionTime(Duration.ofMillis(50))
                .kafkaTimeout(Duration.ofSeconds(5)).retryBackoff(Duration.ofMillis(50), Duration.ofMillis(500));
    }

    /** Asserts {@code got} is exactly the journal's records, once each, in journal order. */
    static void assertExactlyTheJournal(List<ReadRecord> journal, List<TestBroker.Got> got) {
        assertEquals(journal.size(), got.size(), "records in the topic");
        for (int i = 0; i < journal.size(); i++) {
            assertEquals(journal.get(i).index(), got.get(i).index(), "record " + i + " in journal order");
        }
    }

    @Test
    void forwardsEveryRecordOnceInOrderAsTailJson() throws Exception {
        String topic = "basic";
        broker.createTopic(topic, 1);
        try (TestJournal j = new TestJournal(dir)) {
            j.append(250);
            List<ReadRecord> journal = j.readAll();
            try (KafkaForwarder f = forwarder(topic).start()) {
                long last = journal.get(journal.size() - 1).index();
                await(() -> f.metrics().lastCommittedIndex() == last, Duration.ofSeconds(30), "all committed");
                ForwarderMetrics m = f.metrics();
                assertEquals(250, m.recordsForwarded());
                assertTrue(m.transactionsCommitted() >= 3, "at most 100 records a transaction: " + m);
                assertEquals(0, m.transactionsAborted());
                assertEquals(0, m.lagRecords());
                assertEquals(ForwarderState.RUNNING, m.state());
            }
            List<TestBroker.Got> got = broker.readCommitted(topic, journal.size(), Duration.ofSeconds(20));
            assertExactlyTheJournal(journal, got);
            for (int i = 0; i < journal.size(); i++) {
                assertEquals(RecordJson.of(journal.get(i)), got.get(i).value(), "value = tail --format json");
                assertEquals("node-1", got.get(i).node());
                assertEquals(journal.get(i).record().service(), got.get(i).key(), "key = service");
            }
        }
    }

    @Test
    void startsWithAClearErrorWhenTheTopicIsMissing() {
        ForwarderException e = org.junit.jupiter.api.Assertions.assertThrows(ForwarderException.class, () -> {
            try (TestJournal j = new TestJournal(dir)) {
                j.append(1);
                forwarder("no-such-topic").start().close();
            }
        });
        assertEquals("topic 'no-such-topic' does not exist at " + broker.bootstrap()
                + "; create it (kafka-topics.sh --create --topic no-such-topic ...) or check --topic", e.getMessage());
    }

    @Test
    void startsWithAClearErrorWhenKafkaIsUnreachable() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // free once closed: nothing listens there
        }
        try (TestJournal j = new TestJournal(dir)) {
            j.append(1);
            ForwarderException e = org.junit.jupiter.api.Assertions.assertThrows(ForwarderException.class, () ->
                    KafkaForwarder.builder(dir, "127.0.0.1:" + port, "t").startupTimeout(Duration.ofSeconds(2)).start());
            assertEquals("cannot reach Kafka at 127.0.0.1:" + port
                    + " within 2s; check --bootstrap-servers and that the brokers are up", e.getMessage());
        }
    }
}
