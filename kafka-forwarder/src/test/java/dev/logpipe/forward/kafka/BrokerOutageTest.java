package dev.logpipe.forward.kafka;

import dev.logpipe.filesink.FileSink;
import dev.logpipe.filesink.ReadRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.logpipe.forward.kafka.ExactlyOnceTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker goes down in the middle of a stream while the journal keeps growing, rolling and being
 * trimmed by retention: nothing is dropped, retention keeps what the forwarder has not committed, and
 * once the broker is back every record arrives (once, for exactly once).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BrokerOutageTest {

    static final int PER_SEGMENT = 300;

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

    @Test
    void exactlyOnceAcrossABrokerRestartWithRetentionHoldingUncommittedSegments() throws Exception {
        List<TestBroker.Got> got = outage("outage-eos", DeliveryMode.EXACTLY_ONCE);
        assertEquals(6 * PER_SEGMENT, got.size(), "every record once");
        for (int n = 0; n < got.size(); n++) {
            assertEquals(n, TestJournal.numberOf(got.get(n).value()), "record " + n + " once, in order");
        }
    }

    @Test
    void atLeastOnceLosesNothingAcrossABrokerRestart() throws Exception {
        List<TestBroker.Got> got = outage("outage-alo", DeliveryMode.AT_LEAST_ONCE);
        long expectedNext = 0;
        int duplicates = 0;
        for (TestBroker.Got g : got) {
            long n = TestJournal.numberOf(g.value());
            if (n < expectedNext) {
                duplicates++;
            } else {
                assertEquals(expectedNext, n, "no record missing, new ones in order");
                expectedNext++;
            }
        }
        assertEquals(6 * PER_SEGMENT, expectedNext);
        System.out.println("at least once across a broker restart: " + duplicates + " duplicates of " + got.size());
    }

    private List<TestBroker.Got> outage(String topic, DeliveryMode mode) throws Exception {
        broker.createTopic(topic, 1);
        try (TestJournal j = new TestJournal(dir, b -> b.retentionMaxAge(Duration.ofMinutes(1)))) {
            FileSink sink = j.sink();
            j.append(PER_SEGMENT);
            j.roll();
            j.append(PER_SEGMENT);
            KafkaForwarder f = KafkaForwarder.builder(dir, broker.bootstrap(), topic).node("n").mode(mode)
                    .maxTransactionRecords(100).maxTransactionTime(Duration.ofMillis(50)).maxInFlightRecords(200)
                    .kafkaTimeout(Duration.ofSeconds(3)).retryBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                    .start();
            try {
                j.roll();
                j.append(PER_SEGMENT);
                long caughtUp = j.readAll().get(j.readAll().size() - 1).index();
                await(() -> f.metrics().lastCommittedIndex() == caughtUp, Duration.ofSeconds(30), "caught up");
                sink.runRetention().toCompletableFuture().get(10, TimeUnit.SECONDS);
                assertEquals(1, sink.stats().retentionDeletedSegments(), "retention is on: the first segment went");

                broker.stopBroker();
                for (int s = 0; s < 3; s++) {
                    j.roll();
                    j.append(PER_SEGMENT);
                }
                if (mode == DeliveryMode.EXACTLY_ONCE) {
                    await(() -> f.metrics().state() == ForwarderState.RETRYING, Duration.ofSeconds(30), "retrying");
                }
                assertEquals(caughtUp, f.metrics().lastCommittedIndex(), "nothing committed while the broker is down");
                sink.runRetention().toCompletableFuture().get(10, TimeUnit.SECONDS);
                // age alone would delete segments 1, 2 and 3; the forwarder's position (in 2) keeps 2 on
                assertEquals(2, sink.stats().retentionDeletedSegments());
                assertEquals(0, sink.stats().retentionForcedDeletes());
                List<ReadRecord> left = j.readAll();
                assertEquals(2L * PER_SEGMENT, TestJournal.numberOf(dev.logpipe.filesink.RecordJson.of(left.get(0))),
                        "the segment of the last committed record is still there");
                long last = left.get(left.size() - 1).index();

                broker.startBroker();
                await(() -> f.metrics().lastCommittedIndex() == last, Duration.ofSeconds(60),
                        "caught up after the restart: " + f.metrics());
                ForwarderMetrics m = f.metrics();
                assertEquals(ForwarderState.RUNNING, m.state());
                if (mode == DeliveryMode.EXACTLY_ONCE) {
                    assertTrue(m.transactionsAborted() >= 1, m.toString());
                    assertTrue(m.retries() >= 1, m.toString());
                }
            } finally {
                f.close();
            }
            assertEquals(ForwarderState.STOPPED, f.state());
        }
        return broker.readCommitted(topic, 6 * PER_SEGMENT, Duration.ofSeconds(30));
    }
}
