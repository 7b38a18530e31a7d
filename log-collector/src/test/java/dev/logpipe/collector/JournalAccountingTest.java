package dev.logpipe.collector;

import dev.logpipe.testsupport.FakeFileStore;
import dev.logpipe.filesink.JournalState;
import dev.logpipe.filesink.ReadRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.logpipe.collector.TestSupport.awaitCondition;
import static dev.logpipe.collector.TestSupport.connect;
import static dev.logpipe.collector.TestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipeline's books under a journal that pauses for lack of space (a fake file system), under a
 * journal failure, and under shutdowns that run out of time: every received record is written, lost
 * by reason, or in flight, and {@code received = written + lost + in flight} holds whenever nothing
 * moves and at the end.
 */
@Timeout(120)
class JournalAccountingTest {

    private static final long GIB = 1L << 30;
    private static final long RESERVE = 1L << 20;

    @TempDir
    Path dir;

    private final List<Client> clients = new ArrayList<>();

    /** A TCP client sending {@code "<tag> <i>"} lines until {@code count} or the server closes it. */
    static final class Client extends Thread {
        final String tag;
        final int count;
        final java.net.InetSocketAddress address;
        final AtomicBoolean done = new AtomicBoolean();
        volatile int written;
        volatile IOException closed;

        Client(LogPipeline p, String tag, int count) {
            super("test-client-" + tag);
            this.tag = tag;
            this.count = count;
            this.address = TcpIngestTest.address(p);
            setDaemon(true);
        }

        @Override
        public void run() {
            try (Socket s = connect(address)) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < count; ) {
                    sb.setLength(0);
                    for (int k = 0; k < 100 && i < count; k++, i++) {
                        sb.append(tag).append(' ').append(i).append('\n');
                    }
                    s.getOutputStream().write(sb.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    written = i;
                }
                s.shutdownOutput();
                TestSupport.awaitServerClose(s, Duration.ofSeconds(60));
            } catch (IOException e) {
                closed = e; // the server closed the connection (shutdown or journal failure)
            } finally {
                done.set(true);
            }
        }
    }

    private Client client(LogPipeline p, String tag, int count) {
        Client c = new Client(p, tag, count);
        clients.add(c);
        c.start();
        return c;
    }

    @AfterEach
    void stopClients() throws InterruptedException {
        for (Client c : clients) {
            c.interrupt();
            c.join(10_000);
        }
    }

    private LogPipeline.Builder pipeline(FakeFileStore store, Duration drainTimeout) {
        return LogPipeline.builder(dir)
                .syncInterval(Duration.ofMillis(20))
                .channelCapacityRecords(256)
                .drainTimeout(drainTimeout)
                .shutdownReadGrace(Duration.ofMillis(200))
                .journalFileStore(store)
                .journalMinFreeBytes(RESERVE)
                .journalSpaceCheckInterval(Duration.ofMillis(5))
                .listener(TcpIngestTest.textListener().build());
    }

    /** Waits until the books balance at rest: nothing moves and received = written + lost + in flight. */
    private static PipelineStats awaitBalancedAtRest(LogPipeline p) throws InterruptedException {
        PipelineStats[] last = new PipelineStats[1];
        awaitCondition(Duration.ofSeconds(30), "the books to balance at rest", () -> {
            PipelineStats a = p.stats();
            PipelineStats b = p.stats();
            last[0] = b;
            return a.unaccounted() == 0 && b.unaccounted() == 0 && a.receivedTotal() == b.receivedTotal()
                    && a.writtenRecords() == b.writtenRecords();
        });
        return last[0];
    }

    private static void assertBooksClosed(PipelineStats last) {
        assertEquals(LogPipeline.State.TERMINATED, last.state());
        assertEquals(0, last.inFlightRecords(), "nothing in flight after the end: " + last);
        assertEquals(last.receivedTotal(), last.writtenRecords() + last.lostRecords(),
                "received = written + lost: " + last);
        assertEquals(last.lostRecords(), last.lostByReason().values().stream().mapToLong(Long::longValue).sum());
        assertEquals(0, last.unaccounted());
    }

    @Test
    void aPausedJournalIsNotReadyHoldsSendersBackAndResumesWithEveryRecordOnceInOrder() throws Exception {
        FakeFileStore store = new FakeFileStore(GIB);
        LogPipeline p = pipeline(store, Duration.ofSeconds(20)).start();
        assertTrue(p.isReady());
        int perClient = 20_000;
        Client a = client(p, "a", perClient);
        Client b = client(p, "b", perClient);
        awaitCondition(Duration.ofSeconds(30), "records flowing", () -> p.stats().writtenRecords() > 1_000);
        store.usable(RESERVE / 2);

        awaitCondition(Duration.ofSeconds(30), "the journal to pause", () -> p.journalState() == JournalState.PAUSED);
        assertFalse(p.isReady());
        assertEquals("paused", p.readiness());
        PipelineStats paused = awaitBalancedAtRest(p);
        assertEquals(0, paused.lostRecords());
        assertTrue(paused.inFlightRecords() > 0, "records wait in memory: " + paused);
        assertTrue(paused.writtenRecords() < 2L * perClient);
        assertFalse(a.done.get() && b.done.get(), "the senders are held back");
        assertEquals(JournalState.PAUSED, paused.journalState());

        store.usable(GIB);
        awaitCondition(Duration.ofSeconds(60), "every record written",
                () -> p.stats().writtenRecords() == 2L * perClient);
        assertTrue(p.isReady(), "ready again");
        a.join(30_000);
        b.join(30_000);
        PipelineStats last = p.shutdown();
        assertBooksClosed(last);
        assertEquals(0, last.lostRecords());
        assertEquals(1, last.journalPauses());
        assertTrue(last.journalPausedNanos() > 0);

        Map<String, Integer> next = new HashMap<>();
        for (ReadRecord rr : readJournal(dir)) {
            String[] parts = rr.record().message().split(" ");
            int expected = next.getOrDefault(parts[0], 0);
            assertEquals(expected, Integer.parseInt(parts[1]), "client " + parts[0] + ": lost, duplicated or out of order");
            next.put(parts[0], expected + 1);
        }
        assertEquals(Map.of("a", perClient, "b", perClient), next);
    }

    @Test
    void aShutdownThatRunsOutOfTimeWhilePausedCountsEveryHeldRecordAsLostToTheDrainTimeout() throws Exception {
        FakeFileStore store = new FakeFileStore(0); // no room at all
        LogPipeline p = pipeline(store, Duration.ofMillis(600)).start();
        client(p, "a", 5_000);
        client(p, "b", 5_000);
        awaitCondition(Duration.ofSeconds(30), "the journal to pause", () -> p.journalState() == JournalState.PAUSED);
        awaitCondition(Duration.ofSeconds(30), "records held", () -> p.stats().inFlightRecords() > 0);
        PipelineStats paused = awaitBalancedAtRest(p);
        assertEquals(0, paused.writtenRecords());

        PipelineStats last = p.shutdown();
        assertBooksClosed(last);
        assertEquals(0, last.writtenRecords());
        assertTrue(last.lostRecords() >= paused.inFlightRecords(), last.toString());
        assertEquals(Map.of(LostReason.DRAIN_TIMEOUT, last.lostRecords()), last.lostByReason());
        assertEquals(0, readJournal(dir).size());
    }

    @Test
    void aJournalFailureIsNotReadyAndCountsWhatItHeldAsLostToTheFailure() throws Exception {
        FakeFileStore store = new FakeFileStore(GIB);
        LogPipeline p = pipeline(store, Duration.ofSeconds(5)).start();
        client(p, "a", 50_000);
        client(p, "b", 50_000);
        awaitCondition(Duration.ofSeconds(30), "records flowing", () -> p.stats().writtenRecords() > 1_000);
        store.fail(new IOException("Input/output error"));
        awaitCondition(Duration.ofSeconds(30), "the journal to fail", () -> p.journalState() == JournalState.FAILED);
        assertFalse(p.isReady());
        assertEquals("failed", p.readiness());
        awaitCondition(Duration.ofSeconds(30), "what the writer held to be counted as lost",
                () -> p.stats().lost(LostReason.JOURNAL_FAILURE) >= 1);
        awaitBalancedAtRest(p);

        PipelineStats last = p.shutdown();
        assertBooksClosed(last);
        assertEquals(last.lostRecords(), last.lostByReason().get(LostReason.JOURNAL_FAILURE), last.toString());
        assertEquals(last.writtenRecords(), readJournal(dir).size());
    }

    @Test
    void aFloodCutByATinyDrainTimeoutStillBalancesTheBooks() throws Exception {
        LogPipeline p = LogPipeline.builder(dir)
                .syncInterval(Duration.ofMillis(20))
                .channelCapacityRecords(4096)
                .drainTimeout(Duration.ofMillis(1))
                .listener(TcpIngestTest.textListener().build())
                .start();
        for (int c = 0; c < 4; c++) {
            client(p, "c" + c, 2_000_000); // bounded; the shutdown cuts it far earlier
        }
        awaitCondition(Duration.ofSeconds(30), "a flood", () -> p.stats().receivedTotal() > 20_000);
        PipelineStats last = p.shutdown();
        assertBooksClosed(last);
        for (LostReason reason : last.lostByReason().keySet()) {
            assertEquals(LostReason.DRAIN_TIMEOUT, reason, last.toString());
        }
        assertEquals(last.writtenRecords(), readJournal(dir).size());
    }
}
