package dev.logpipe.collector;

import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.SourceFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.logpipe.collector.TestSupport.awaitCondition;
import static dev.logpipe.collector.TestSupport.awaitServerClose;
import static dev.logpipe.collector.TestSupport.connect;
import static dev.logpipe.collector.TestSupport.readJournal;
import static dev.logpipe.collector.TestSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TCP server over real loopback sockets: concurrency, order, half-close, broken clients, limits. */
class TcpIngestTest {

    static ListenerConfig.Builder textListener() {
        return ListenerConfig.builder().port(0).wireFormat(WireFormat.TEXT);
    }

    static InetSocketAddress address(LogPipeline p) {
        return p.listenerAddresses().get(0);
    }

    /** Sends {@code count} lines {@code "<tag> <i>"} in chunks, as fast as the socket takes them. */
    static void sendNumbered(Socket s, String tag, int count) throws Exception {
        sendNumbered(s, tag, count, "");
    }

    /** Like {@link #sendNumbered(Socket, String, int)}, each line ending with {@code " " + pad} if pad is not empty. */
    static void sendNumbered(Socket s, String tag, int count, String pad) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.append(tag).append(' ').append(i);
            if (!pad.isEmpty()) {
                sb.append(' ').append(pad);
            }
            sb.append('\n');
            if (sb.length() > 16_384) {
                write(s, sb.toString());
                sb.setLength(0);
            }
        }
        write(s, sb.toString());
    }

    /**
     * Checks that for each tag the journal holds exactly {@code 0..expected-1} in order, and that
     * each tag's records share one source (its connection).
     */
    static void assertPerTagOrder(List<ReadRecord> records, Map<String, Integer> expectedPerTag) {
        Map<String, Integer> next = new HashMap<>();
        Map<String, String> sourceOfTag = new HashMap<>();
        long lastIndex = Long.MIN_VALUE;
        for (ReadRecord rr : records) {
            assertTrue(rr.index() > lastIndex, "indices increase");
            lastIndex = rr.index();
            String[] parts = rr.record().message().split(" ");
            assertTrue(parts.length >= 2, "message " + rr.record().message());
            String tag = parts[0];
            int seq = Integer.parseInt(parts[1]);
            int want = next.getOrDefault(tag, 0);
            assertEquals(want, seq, "record of " + tag + " out of order, lost or duplicated");
            next.put(tag, want + 1);
            String src = sourceOfTag.putIfAbsent(tag, rr.record().source());
            if (src != null) {
                assertEquals(src, rr.record().source(), "one connection, one source");
            }
            assertTrue(rr.record().source().startsWith("tcp:"), rr.record().source());
        }
        assertEquals(expectedPerTag, next);
    }

    @Test
    @Timeout(90)
    void manyConcurrentConnectionsStoreEveryRecordOnceInPerConnectionOrder(@TempDir Path dir) throws Exception {
        int connections = 16;
        int perConnection = 1_500;
        Map<String, Integer> expected = new HashMap<>();
        try (LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(20))
                .listener(textListener().build()).start()) {
            ExecutorService clients = Executors.newFixedThreadPool(connections);
            try {
                List<Future<Boolean>> done = new ArrayList<>();
                for (int c = 0; c < connections; c++) {
                    String tag = "c" + c;
                    expected.put(tag, perConnection);
                    done.add(clients.submit(() -> {
                        try (Socket s = connect(address(p))) {
                            sendNumbered(s, tag, perConnection);
                            s.shutdownOutput(); // half-close: the server must still store everything
                            return awaitServerClose(s, Duration.ofSeconds(30));
                        }
                    }));
                }
                for (Future<Boolean> f : done) {
                    assertTrue(f.get(60, TimeUnit.SECONDS), "server closes a half-closed connection after reading it");
                }
            } finally {
                clients.shutdownNow();
            }
            awaitCondition(Duration.ofSeconds(30), "all records received",
                    () -> p.stats().received(SourceFormat.TEXT) == (long) connections * perConnection);
            assertEquals(connections, p.stats().acceptedConnections());
        }
        List<ReadRecord> all = readJournal(dir);
        assertEquals(connections * perConnection, all.size());
        assertPerTagOrder(all, expected);
        Set<String> sources = new HashSet<>();
        all.forEach(r -> sources.add(r.record().source()));
        assertEquals(connections, sources.size(), "each connection has its own source");
    }

    @Test
    @Timeout(60)
    void halfClosedConnectionHasEverythingStoredBeforeTheServerCloses(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(20))
                .listener(textListener().build()).start()) {
            try (Socket s = connect(address(p))) {
                sendNumbered(s, "h", 500);
                s.shutdownOutput();
                assertTrue(awaitServerClose(s, Duration.ofSeconds(20)), "server closes after end of input");
            }
            awaitCondition(Duration.ofSeconds(20), "500 written", () -> p.stats().writtenRecords() == 500);
            awaitCondition(Duration.ofSeconds(10), "connection gone", () -> p.stats().activeConnections() == 0);
        }
        assertPerTagOrder(readJournal(dir), Map.of("h", 500));
    }

    @Test
    @Timeout(60)
    void clientDisconnectingMidFrameLosesOnlyItsPartialFrame(@TempDir Path dir) throws Exception {
        resetMidFrame(dir, true);
    }

    @Test
    @Timeout(60)
    void clientDisconnectingMidFrameLosesOnlyItsPartialFrameOnNio(@TempDir Path dir) throws Exception {
        // NIO with half-closure turns a read error into exceptionCaught and then an input shutdown.
        resetMidFrame(dir, false);
    }

    private static void resetMidFrame(Path dir, boolean preferNative) throws Exception {
        Map<RejectReason, Long> rejectedAtEnd;
        try (LogPipeline p = LogPipeline.builder(dir).nativeTransport(preferNative).syncInterval(Duration.ofMillis(20))
                .listener(textListener().build()).start()) {
            Socket broken = connect(address(p));
            sendNumbered(broken, "a", 199);
            // The last line and the cut frame in one small write: once the line is received, so is the cut frame.
            write(broken, "a 199\npartial-frame-without-end");
            awaitCondition(Duration.ofSeconds(20), "complete frames received",
                    () -> p.stats().received(SourceFormat.TEXT) >= 200);
            broken.setSoLinger(true, 0); // abortive close: the server sees a reset mid-frame
            broken.close();
            awaitCondition(Duration.ofSeconds(10), "broken connection cleaned up",
                    () -> p.stats().activeConnections() == 0);

            // The server is fine: a new connection is served as usual.
            try (Socket s = connect(address(p))) {
                sendNumbered(s, "b", 50);
                s.shutdownOutput();
                assertTrue(awaitServerClose(s, Duration.ofSeconds(20)));
            }
            awaitCondition(Duration.ofSeconds(20), "second client stored",
                    () -> p.stats().received(SourceFormat.TEXT) >= 250);
            rejectedAtEnd = p.stats().rejected();
        }
        // The reset cut the client's last frame: counted, never stored; everything else is whole.
        assertPerTagOrder(readJournal(dir), Map.of("a", 200, "b", 50));
        assertEquals(Map.of(RejectReason.INCOMPLETE_FRAME, 1L), rejectedAtEnd);
    }

    @Test
    @Timeout(60)
    void connectionsBeyondTheLimitAreClosedAtOnceAndCounted(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).listener(textListener().maxConnections(2).build()).start()) {
            try (Socket s1 = connect(address(p)); Socket s2 = connect(address(p))) {
                write(s1, "one 0\n");
                write(s2, "two 0\n");
                awaitCondition(Duration.ofSeconds(10), "both served", () -> p.stats().received(SourceFormat.TEXT) == 2);
                Socket s3 = null;
                try {
                    s3 = connect(address(p));
                } catch (java.net.SocketException e) {
                    // the server accepts and resets at once; the reset can reach connect() itself
                    assertTrue(String.valueOf(e.getMessage()).contains("reset"), "refused by a reset, not " + e);
                }
                if (s3 != null) {
                    try (Socket third = s3) {
                        assertTrue(awaitServerClose(third, Duration.ofSeconds(10)), "third connection closed at once");
                    }
                }
                awaitCondition(Duration.ofSeconds(10), "refusal counted", () -> p.stats().refusedConnections() == 1);
                assertEquals(1, p.stats().refusedConnections());
                assertEquals(2, p.stats().activeConnections());
                write(s1, "one 1\n");
                awaitCondition(Duration.ofSeconds(10), "first still served", () -> p.stats().received(SourceFormat.TEXT) == 3);
            }
            // Once the others are gone there is room again.
            awaitCondition(Duration.ofSeconds(10), "slots freed", () -> p.stats().activeConnections() == 0);
            try (Socket s4 = connect(address(p))) {
                write(s4, "four 0\n");
                awaitCondition(Duration.ofSeconds(10), "served after slots freed",
                        () -> p.stats().received(SourceFormat.TEXT) == 4);
            }
            assertEquals(1, p.stats().refusedConnections());
        }
    }

    @Test
    @Timeout(60)
    void idleConnectionIsClosedAndCounted(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir)
                .listener(textListener().idleTimeout(Duration.ofMillis(300)).build()).start()) {
            try (Socket s = connect(address(p))) {
                write(s, "x 0\n");
                assertTrue(awaitServerClose(s, Duration.ofSeconds(15)), "idle connection closed");
            }
            assertEquals(1, p.stats().idleClosedConnections());
            assertEquals(1, p.stats().received(SourceFormat.TEXT));
        }
    }

    @Test
    @Timeout(60)
    void idleCloseUnderAnUnfinishedFrameCountsItIncompleteAndStoresTheRest(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(20))
                .listener(textListener().idleTimeout(Duration.ofMillis(300)).build()).start()) {
            try (Socket s = connect(address(p))) {
                write(s, "i 0\ni 1 never fini");
                // a reset, not a clean end: the client must not take the close for "all read" (it was a FIN)
                s.setSoTimeout(15_000);
                assertThrows(java.net.SocketException.class, () -> {
                    while (s.getInputStream().read() >= 0) {
                        // nothing is sent on this connection; wait for its end
                    }
                }, "idle close under an unfinished frame resets the connection");
            }
            awaitCondition(Duration.ofSeconds(10), "connection gone", () -> p.stats().activeConnections() == 0);
            assertEquals(1, p.stats().idleClosedConnections());
            // the connection count drops as the close completes, before channelInactive reaches the decoder,
            // which then counts the unfinished tail
            awaitCondition(Duration.ofSeconds(10), "the unfinished frame counted",
                    () -> !p.stats().rejected().isEmpty());
            assertEquals(Map.of(RejectReason.INCOMPLETE_FRAME, 1L), p.stats().rejected());
            awaitCondition(Duration.ofSeconds(10), "written", () -> p.stats().writtenRecords() == 1);
        }
        assertEquals(List.of("i 0"), readJournal(dir).stream().map(r -> r.record().message()).toList());
    }

    @Test
    @Timeout(60)
    void halfCloseAfterAnUnterminatedLineStoresItAndTheServerCloses(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(20))
                .listener(textListener().build()).start()) {
            try (Socket s = connect(address(p))) {
                write(s, "e 0\nabc");
                s.shutdownOutput(); // the client ended its stream: "abc" is its last frame
                assertTrue(awaitServerClose(s, Duration.ofSeconds(20)), "server closes after end of input");
            }
            awaitCondition(Duration.ofSeconds(20), "both written", () -> p.stats().writtenRecords() == 2);
            awaitCondition(Duration.ofSeconds(10), "connection gone", () -> p.stats().activeConnections() == 0);
            assertEquals(Map.of(), p.stats().rejected());
        }
        assertEquals(List.of("e 0", "abc"), readJournal(dir).stream().map(r -> r.record().message()).toList());
    }

    @Test
    @Timeout(90)
    void fullChannelPausesReadingWithoutLossAndWithBoundedMemory(@TempDir Path dir) throws Exception {
        int clients = 2;
        int perClient = 20_000;
        int channelRecords = 8;
        String pad = "x".repeat(190);
        int receiveBuffer = 64 * 1024;
        // Lines are at least "bpN 0 " + pad + "\n" = 197 bytes. A paused connection holds at most the
        // frames of the reads in flight (two reads of at most 64 KiB, the server's allocator maximum);
        // after the client's half-close, also what is left in the kernel receive buffer (Linux doubles
        // SO_RCVBUF for its bookkeeping, so count it twice). Nothing depends on the offered load.
        int minLineBytes = 197;
        int fifoBound = (2 * 65_536 + 2 * receiveBuffer) / minLineBytes;
        assertTrue(perClient > 10 * fifoBound, "the offered load dwarfs the bound");
        Map<String, Integer> expected = new HashMap<>();
        long maxDepthSeen = 0;
        PipelineStats last;
        try (LogPipeline p = LogPipeline.builder(dir)
                .channelCapacityRecords(channelRecords).channelCapacityBytes(channelRecords * 1024L)
                .syncEveryBatch()
                .listener(textListener().receiveBufferBytes(receiveBuffer).build()).start()) {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                List<Future<Boolean>> done = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    String tag = "bp" + c;
                    expected.put(tag, perClient);
                    done.add(pool.submit(() -> {
                        try (Socket s = connect(address(p))) {
                            sendNumbered(s, tag, perClient, pad);
                            s.shutdownOutput();
                            return awaitServerClose(s, Duration.ofSeconds(60));
                        }
                    }));
                }
                while (!done.stream().allMatch(Future::isDone)) {
                    maxDepthSeen = Math.max(maxDepthSeen, p.stats().channelDepth());
                    Thread.sleep(2); // sampling the depth, not waiting for an outcome
                }
                for (Future<Boolean> f : done) {
                    assertTrue(f.get());
                }
            } finally {
                pool.shutdownNow();
            }
            awaitCondition(Duration.ofSeconds(30), "all written",
                    () -> p.stats().writtenRecords() == (long) clients * perClient);
            last = p.stats();
        }
        System.out.println("backpressure: pauses=" + last.backpressurePauses() + " fifoPeak=" + last.maxPendingPerConnection()
                + " (bound " + fifoBound + ") channelDepthPeak=" + maxDepthSeen + " offered=" + clients * perClient);
        assertTrue(last.backpressurePauses() > 0, "the full channel paused reading: " + last.backpressurePauses());
        assertTrue(maxDepthSeen <= channelRecords, "channel depth " + maxDepthSeen + " within its capacity");
        assertTrue(last.maxPendingPerConnection() <= fifoBound,
                "per-connection FIFO " + last.maxPendingPerConnection() + " within its bound (" + fifoBound + ")");
        assertEquals(0, last.lostRecords());
        assertPerTagOrder(readJournal(dir), expected);
    }

    @Test
    @Timeout(60)
    void detectedFormatsAndRejectedFramesAreCountedInStats(@TempDir Path dir) throws Exception {
        String good = "{\"level\":\"INFO\",\"service\":\"demo\",\"msg\":\"hello\"}\n";
        String bad = "{\"msg\": not json}\n";
        try (LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(20))
                .listener(ListenerConfig.builder().port(0).build()).start()) { // AUTO detection
            try (Socket s = connect(address(p))) {
                write(s, good + bad + good);
                s.shutdownOutput();
                assertTrue(awaitServerClose(s, Duration.ofSeconds(20)));
            }
            try (Socket s = connect(address(p))) {
                write(s, "<34>1 2026-11-25T17:00:00Z host app 1 - - syslog says hi\n");
                s.shutdownOutput();
                assertTrue(awaitServerClose(s, Duration.ofSeconds(20)));
            }
            awaitCondition(Duration.ofSeconds(20), "four records written", () -> p.stats().writtenRecords() == 4);
            PipelineStats st = p.stats();
            assertEquals(3, st.received(SourceFormat.JSON), "two good lines and the bad one stored raw");
            assertEquals(1, st.received(SourceFormat.SYSLOG_5424));
            assertEquals(1L, st.rejected().get(RejectReason.INVALID_JSON));
            assertEquals(good.length() * 2L + bad.length() - 3, st.receivedBytes().get(SourceFormat.JSON),
                    "frame bytes without their line feeds");
            assertTrue(st.durableIndex() <= st.writtenIndex());
        }
    }

    @Test
    @Timeout(60)
    void nioTransportServesLikeEpoll(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).nativeTransport(false).syncInterval(Duration.ofMillis(20))
                .listener(textListener().build()).start()) {
            assertEquals("nio", p.transportName());
            try (Socket s = connect(address(p))) {
                sendNumbered(s, "nio", 1_000);
                s.shutdownOutput();
                assertTrue(awaitServerClose(s, Duration.ofSeconds(20)));
            }
            awaitCondition(Duration.ofSeconds(20), "written", () -> p.stats().writtenRecords() == 1_000);
        }
        assertPerTagOrder(readJournal(dir), Map.of("nio", 1_000));
    }
}
