package dev.logpipe.forward.kafka;

import dev.logpipe.filesink.JournalRepair;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RecordJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    @Test
    void resumesAtTheSameRecordAfterARepairDroppedRecordsBeforeItsPosition() throws Exception {
        String topic = "repaired";
        broker.createTopic(topic, 1);
        try (TestJournal j = new TestJournal(dir)) {
            j.append(50);
            long last = j.readAll().get(49).index();
            try (KafkaForwarder f = forwarder(topic).start()) {
                await(() -> f.metrics().lastCommittedIndex() == last, Duration.ofSeconds(30), "committed");
            }
        }
        // records 10 and 11 go bad after they were forwarded; the repair drops them, moving 12.. down by two
        Path segment;
        try (var s = Files.list(dir)) {
            segment = s.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
        flipInMessage(segment, "m10");
        flipInMessage(segment, "m11");
        JournalRepair.Report r = JournalRepair.inPlace(dir);
        assertEquals(48, r.records());
        try (TestJournal j = new TestJournal(dir, 50)) {
            j.append(20);
            List<ReadRecord> journal = j.readAll();
            assertEquals(68, journal.size());
            try (KafkaForwarder f = forwarder(topic).start()) {
                long last = journal.get(67).index();
                await(() -> f.metrics().lastCommittedIndex() == last, Duration.ofSeconds(30), "committed");
                assertEquals(20, f.metrics().recordsForwarded(), "the new records, none skipped, none again");
            }
        }
        List<TestBroker.Got> got = broker.readCommitted(topic, 70, Duration.ofSeconds(20));
        assertEquals(70, got.size(), "records 0-49 before the repair, 50-69 after it");
        for (int i = 0; i < got.size(); i++) {
            assertEquals(i, TestJournal.numberOf(got.get(i).value()), "record " + i + " once, in order");
        }
    }

    @Test
    void aDamagedLocalPositionStopsAnAtLeastOnceForwarderSayingSo() throws Exception {
        String topic = "damaged-position";
        broker.createTopic(topic, 1);
        try (TestJournal j = new TestJournal(dir)) {
            j.append(10);
            long last = j.readAll().get(9).index();
            try (KafkaForwarder f = forwarder(topic).mode(DeliveryMode.AT_LEAST_ONCE).start()) {
                await(() -> f.metrics().lastCommittedIndex() == last, Duration.ofSeconds(30), "committed");
            }
            Path pos;
            try (var s = Files.list(dir.resolve("readers"))) {
                pos = s.filter(p -> p.toString().endsWith(".pos")).findFirst().orElseThrow();
            }
            byte[] b = Files.readAllBytes(pos);
            b[0] ^= 1;
            Files.write(pos, b);
            ForwarderException e = assertThrows(ForwarderException.class,
                    () -> forwarder(topic).mode(DeliveryMode.AT_LEAST_ONCE).start().close());
            assertTrue(e.getMessage().contains("is damaged") && !e.getMessage().contains("bug"), e.getMessage());
        }
    }

    /** Flips a bit of the one message {@code text} in {@code segment}, which breaks its record's checksum. */
    private static void flipInMessage(Path segment, String text) throws Exception {
        byte[] b = Files.readAllBytes(segment);
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        int found = -1;
        for (int i = 0; i + t.length < b.length; i++) {
            if (Arrays.equals(b, i, i + t.length, t, 0, t.length) && !Character.isDigit(b[i + t.length])) {
                assertEquals(-1, found, "one " + text + " in the segment");
                found = i;
            }
        }
        assertTrue(found >= 0, text + " in the segment");
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) (b[found + 1] ^ 0x40)}), found + 1);
        }
    }

    @Test
    void fromEndForwardsOnlyWhatIsWrittenAfterTheStartThenResumesFromKafka() throws Exception {
        String topic = "from-end";
        broker.createTopic(topic, 1);
        try (TestJournal j = new TestJournal(dir)) {
            j.append(100);
            try (KafkaForwarder f = forwarder(topic).startFrom(StartFrom.END).start()) {
                j.append(50);
                long last = j.readAll().get(149).index();
                await(() -> f.metrics().lastCommittedIndex() == last, Duration.ofSeconds(30), "committed");
            }
            j.append(30);
            // the second start resumes after Kafka's committed position; --from end no longer applies
            try (KafkaForwarder f = forwarder(topic).startFrom(StartFrom.END).start()) {
                long last = j.readAll().get(179).index();
                await(() -> f.metrics().lastCommittedIndex() == last, Duration.ofSeconds(30), "committed");
            }
            List<TestBroker.Got> got = broker.readCommitted(topic, 80, Duration.ofSeconds(20));
            assertEquals(80, got.size());
            for (int i = 0; i < got.size(); i++) {
                assertEquals(100 + i, TestJournal.numberOf(got.get(i).value()));
            }
        }
    }

    @Test
    void keepsJournalOrderInEachPartition() throws Exception {
        String topic = "three-partitions";
        broker.createTopic(topic, 3);
        try (TestJournal j = new TestJournal(dir)) {
            j.append(600);
            List<ReadRecord> journal = j.readAll();
            try (KafkaForwarder f = forwarder(topic).start()) {
                long last = journal.get(journal.size() - 1).index();
                await(() -> f.metrics().lastCommittedIndex() == last, Duration.ofSeconds(30), "committed");
            }
            List<TestBroker.Got> got = broker.readCommitted(topic, 600, Duration.ofSeconds(20));
            assertEquals(600, got.size());
            Set<Long> seen = new HashSet<>();
            long[] lastInPartition = {-1, -1, -1};
            Set<Integer> partitionsOfService0 = new HashSet<>();
            for (TestBroker.Got g : got) {
                assertTrue(seen.add(g.index()), "once: " + g.index());
                assertTrue(g.index() > lastInPartition[g.partition()], "in journal order within partition " + g.partition());
                lastInPartition[g.partition()] = g.index();
                if ("svc-0".equals(g.key())) {
                    partitionsOfService0.add(g.partition());
                }
            }
            assertEquals(1, partitionsOfService0.size(), "one service, one partition");
        }
    }

    @Test
    void aSecondInstanceWithTheSameIdentityFencesTheFirst() throws Exception {
        String topic = "fencing";
        broker.createTopic(topic, 1);
        try (TestJournal j = new TestJournal(dir)) {
            j.append(200);
            KafkaForwarder first = forwarder(topic).start();
            long last1 = j.readAll().get(199).index();
            await(() -> first.metrics().lastCommittedIndex() == last1, Duration.ofSeconds(30), "first committed");
            try (KafkaForwarder second = forwarder(topic).start()) {
                assertEquals(first.transactionalId(), second.transactionalId());
                j.append(200);
                // the first one meets the fence at its next transaction
                ForwarderException e = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> first.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS)).getCause() instanceof ForwarderException fe
                        ? fe : null;
                assertNotNull(e);
                assertTrue(e.getMessage().startsWith("another forwarder with transactional id '" + first.transactionalId()
                        + "' started and fenced this one"), e.getMessage());
                assertEquals(ForwarderState.FAILED, first.state());
                long last2 = j.readAll().get(399).index();
                await(() -> second.metrics().lastCommittedIndex() == last2, Duration.ofSeconds(30), "second committed");
            } finally {
                first.close();
            }
            List<TestBroker.Got> got = broker.readCommitted(topic, 400, Duration.ofSeconds(20));
            assertEquals(400, got.size());
            for (int i = 0; i < got.size(); i++) {
                assertEquals(i, TestJournal.numberOf(got.get(i).value()), "once, in order");
            }
        }
    }
}
