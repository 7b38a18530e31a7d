package dev.logpipe.collector;

import dev.logpipe.filesink.ReadRecord;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.logpipe.collector.TestSupport.awaitCondition;
import static dev.logpipe.collector.TestSupport.connect;
import static dev.logpipe.collector.TestSupport.readJournal;
import static dev.logpipe.collector.TestSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** close() while clients are sending: whatever the server accepted is in the journal, nothing else. */
class GracefulShutdownTest {

    @Test
    @Timeout(90)
    void closeWhileClientsSendStoresEveryAcceptedRecord(@TempDir Path dir) throws Exception {
        int clients = 4;
        int maxPerClient = 2_000_000; // bound on the load loop; the close cuts it far earlier
        LogPipeline p = LogPipeline.builder(dir)
                .syncInterval(Duration.ofMillis(20))
                .channelCapacityRecords(1024)
                .drainTimeout(Duration.ofSeconds(20))
                .shutdownReadGrace(Duration.ofMillis(300))
                .listener(TcpIngestTest.textListener().build())
                .start();
        Emitter emitter = p.emitter("app");
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<Integer>> sent = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            String tag = "g" + c;
            sent.add(pool.submit(() -> {
                int i = 0;
                try (Socket s = connect(TcpIngestTest.address(p))) {
                    StringBuilder sb = new StringBuilder();
                    while (i < maxPerClient) {
                        sb.setLength(0);
                        for (int k = 0; k < 100; k++, i++) {
                            sb.append(tag).append(' ').append(i).append('\n');
                        }
                        write(s, sb.toString());
                    }
                } catch (IOException expected) {
                    // the server closed the connection during shutdown
                }
                return i;
            }));
        }
        awaitCondition(Duration.ofSeconds(30), "clients are streaming", () -> p.stats().receivedTotal() > 5_000);

        long t0 = System.nanoTime();
        PipelineStats last = p.shutdown();
        long tookMillis = (System.nanoTime() - t0) / 1_000_000;
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS), "clients stop once the server closed them");
        for (Future<Integer> f : sent) {
            assertTrue(f.get() < maxPerClient, "the client was cut off by the shutdown, not by its loop bound");
        }

        assertEquals(LogPipeline.State.TERMINATED, last.state());
        assertTrue(tookMillis < 20_000, "within the drain timeout: " + tookMillis + " ms");
        assertEquals(0, last.lostRecords());
        assertEquals(last.receivedTotal(), last.writtenRecords(), "everything accepted was written");
        assertEquals(0, last.activeConnections());

        // Emitting after close is refused, never silently lost.
        assertTrue(emitter.tryEmit(dev.logpipe.filesink.LogRecord.builder().message("late").build())
                instanceof dev.logpipe.channels.SendResult.Closed<?>);
        assertThrows(IllegalStateException.class, () -> p.emitter("late"));

        List<ReadRecord> journal = readJournal(dir);
        assertEquals(last.receivedTotal(), journal.size(), "the journal holds exactly what the server accepted");
        // Each client's records are a gap-free, duplicate-free prefix of what it sent, and every one is
        // a whole line: the server closes connections in the middle of the stream, and the frame the
        // close cut is counted incomplete_frame, never stored.
        Map<String, List<String>> perClient = new HashMap<>(); // by connection (source)
        for (ReadRecord rr : journal) {
            perClient.computeIfAbsent(rr.record().source(), k -> new ArrayList<>()).add(rr.record().message());
        }
        for (Map.Entry<String, List<String>> e : perClient.entrySet()) {
            List<String> msgs = e.getValue();
            String tag = msgs.get(0).split(" ")[0];
            for (int i = 0; i < msgs.size(); i++) {
                assertEquals(tag + " " + i, msgs.get(i), "gap, duplicate or cut record from " + e.getKey());
            }
        }
        long incomplete = last.rejected(RejectReason.INCOMPLETE_FRAME);
        System.out.println("graceful shutdown: " + last.receivedTotal() + " records stored, " + incomplete
                + " cut frame(s) counted incomplete_frame");
        assertTrue(incomplete <= clients, "at most one cut frame per connection: " + incomplete);
        Map<RejectReason, Long> otherRejections = new HashMap<>(last.rejected());
        otherRejections.remove(RejectReason.INCOMPLETE_FRAME);
        assertEquals(Map.of(), otherRejections, "nothing else rejected");
        Map<String, List<String>> next = perClient;
        assertEquals(clients, next.size());
        p.close(); // idempotent
    }

    @Test
    @Timeout(60)
    void aFrameUnfinishedAtShutdownIsCountedIncompleteAndNotStored(@TempDir Path dir) throws Exception {
        LogPipeline p = LogPipeline.builder(dir)
                .syncInterval(Duration.ofMillis(20))
                .listener(TcpIngestTest.textListener().build())
                .start();
        try (Socket s = connect(TcpIngestTest.address(p))) {
            write(s, "u 0\nu 1\nu 2 is still being wri");
            awaitCondition(Duration.ofSeconds(20), "whole lines received", () -> p.stats().receivedTotal() == 2);
            PipelineStats last = p.shutdown(); // the drain closes the connection under the unfinished frame
            assertEquals(LogPipeline.State.TERMINATED, last.state());
            assertTrue(TestSupport.awaitServerClose(s, Duration.ofSeconds(10)), "the server closed the connection");
            assertEquals(2, last.receivedTotal());
            assertEquals(2, last.writtenRecords());
            assertEquals(Map.of(RejectReason.INCOMPLETE_FRAME, 1L), last.rejected(), "the cut frame is counted, by its reason");
        }
        List<String> stored = readJournal(dir).stream().map(r -> r.record().message()).toList();
        assertEquals(List.of("u 0", "u 1"), stored, "only the lines the client finished");
    }

    @Test
    @Timeout(30)
    void withSyncNeverTheShutdownStatsCountEveryRecordDurable(@TempDir Path dir) throws Exception {
        LogPipeline p = LogPipeline.builder(dir).syncNever().channelCapacityRecords(64).start();
        Emitter e = p.emitter("never");
        for (int i = 0; i < 1000; i++) {
            e.emit(dev.logpipe.filesink.LogRecord.builder().message("m" + i).build(), Durability.WRITTEN)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        assertEquals(1000, p.stats().writtenRecords());
        assertEquals(0, p.stats().durableRecords(), "nothing synced before close");
        PipelineStats last = p.shutdown();
        assertEquals(1000, last.writtenRecords());
        assertEquals(1000, last.durableRecords(), "the final sync's records are counted durable");
        assertEquals(0, last.recordsAtRisk());
    }

    @Test
    @Timeout(30)
    void closeWithoutTrafficIsQuickAndIdempotent(@TempDir Path dir) throws Exception {
        LogPipeline p = LogPipeline.builder(dir).listener(TcpIngestTest.textListener().build()).start();
        int port = p.tcpPort();
        assertTrue(port > 0);
        assertTrue(p.isReady());
        try (Socket idle = connect(TcpIngestTest.address(p))) {
            awaitCondition(Duration.ofSeconds(10), "connected", () -> p.stats().activeConnections() == 1);
            PipelineStats s = p.shutdown();
            assertEquals(LogPipeline.State.TERMINATED, s.state());
            assertTrue(TestSupport.awaitServerClose(idle, Duration.ofSeconds(5)), "open connection closed by shutdown");
        }
        assertEquals(LogPipeline.State.TERMINATED, p.shutdown().state());
        assertTrue(p.awaitTermination(Duration.ofSeconds(1)));
        // The port is released: a new pipeline can bind it.
        try (LogPipeline again = LogPipeline.builder(dir)
                .listener(TcpIngestTest.textListener().port(port).build()).start()) {
            assertEquals(port, again.tcpPort());
        }
    }

    @Test
    @Timeout(30)
    void portInUseIsReportedWithWhatToDoAndNothingIsLeftRunning(@TempDir Path dir) throws Exception {
        try (LogPipeline first = LogPipeline.builder(dir.resolve("a")).listener(TcpIngestTest.textListener().build()).start()) {
            IOException e = assertThrows(IOException.class, () -> LogPipeline.builder(dir.resolve("b"))
                    .listener(TcpIngestTest.textListener().port(first.tcpPort()).build()).start());
            assertTrue(e.getMessage().contains("port"), e.getMessage());
            // The failed start released its journal: it can be opened again.
            LogPipeline.builder(dir.resolve("b")).start().close();
        }
    }
}
