package dev.logpipe.collector;

import static dev.logpipe.collector.TestSupport.connect;
import static dev.logpipe.collector.TestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.SourceFormat;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.komamitsu.fluency.Fluency;
import org.komamitsu.fluency.fluentd.FluencyBuilderForFluentd;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/** The Fluent Forward listener end to end, with a real Fluent client in ack mode (fluency) over loopback. */
class FluentListenerTest {

    private static LogPipeline start(Path dir, Duration syncInterval) throws Exception {
        return LogPipeline.builder(dir)
                .syncInterval(syncInterval)
                .drainTimeout(Duration.ofSeconds(10))
                .listener(ListenerConfig.builder().port(0).protocol(ListenerProtocol.FLUENT).build())
                .start();
    }

    @Test
    @Timeout(60)
    void fluencyInAckModeGetsEveryChunkAcknowledgedOnlyOnceDurable(@TempDir Path dir) throws Exception {
        LogPipeline p = start(dir, Duration.ofHours(1)); // only sync on pressure can make acks come
        int n = 3_000;
        FluencyBuilderForFluentd b = new FluencyBuilderForFluentd();
        b.setAckResponseMode(true);
        b.setReadTimeoutMilli(20_000);
        b.setFlushAttemptIntervalMillis(50);
        b.setSenderMaxRetryCount(0);
        // Fluency resends a chunk after any error (a failed ack read, a closed connection): caught here
        // so that a duplicate says whether the client resent it or the server stored it twice
        List<Throwable> clientErrors = new CopyOnWriteArrayList<>();
        b.setErrorHandler(clientErrors::add);
        Fluency fluency = b.build("127.0.0.1", p.tcpPort());
        try {
            for (int i = 0; i < n; i++) {
                fluency.emit(i % 2 == 0 ? "app.even" : "app.odd",
                        Map.of("message", "event " + i, "seq", i, "level", "info"));
            }
            fluency.flush();
            assertTrue(fluency.waitUntilAllBufferFlushed(30), "every chunk sent and acknowledged");
        } finally {
            fluency.close();
            fluency.waitUntilFlusherTerminated(10);
        }
        AckStats acks = p.ackStats();
        assertEquals(List.of(), clientErrors.stream().map(e -> e + " caused by " + e.getCause()).toList(),
                "errors seen by the client; server side " + acks);
        assertTrue(acks.acksSent() >= 1, "acks sent: " + acks);
        assertEquals(0, acks.acksPending());
        assertTrue(p.stats().durableRecords() >= n, "acked records are durable");
        p.shutdown();
        List<ReadRecord> all = readJournal(dir);
        assertEquals(n, all.size(), "each event once; server side " + acks);
        long even = all.stream().filter(r -> r.record().service().equals("app.even")).count();
        assertEquals(n / 2, even, "tag as service");
        assertTrue(all.stream().allMatch(r -> r.record().format() == SourceFormat.FLUENT));
        List<Integer> odd = all.stream().filter(r -> r.record().service().equals("app.odd"))
                .map(r -> Integer.parseInt(r.record().message().substring(6))).toList();
        for (int i = 1; i < odd.size(); i++) {
            assertTrue(odd.get(i) > odd.get(i - 1), "order kept");
        }
    }

    private static byte[] message(String tag, String msg, String chunk, boolean chunkAsBin) throws Exception {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(4).packString(tag).packLong(1_710_072_000L);
            p.packMapHeader(1).packString("log").packString(msg);
            p.packMapHeader(1).packString("chunk");
            byte[] c = chunk.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (chunkAsBin) {
                p.packBinaryHeader(c.length);
            } else {
                p.packRawStringHeader(c.length);
            }
            p.writePayload(c);
            p.flush();
            return p.toByteArray();
        }
    }

    private static byte[] expectedAck(String chunk, boolean asBin) throws Exception {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(1).packString("ack");
            byte[] c = chunk.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (asBin) {
                p.packBinaryHeader(c.length);
            } else {
                p.packRawStringHeader(c.length);
            }
            p.writePayload(c);
            p.flush();
            return p.toByteArray();
        }
    }

    @Test
    @Timeout(60)
    void theAckEchoesTheChunkAsSentStrOrBinAndABadConnectionDoesNotDisturbAGoodOne(@TempDir Path dir) throws Exception {
        LogPipeline p = start(dir, Duration.ofMillis(50));
        InetSocketAddress addr = new InetSocketAddress("127.0.0.1", p.tcpPort());
        try (Socket good = connect(addr); Socket bad = connect(addr)) {
            bad.getOutputStream().write(new byte[] {(byte) 0xc1, 1, 2, 3});
            bad.getOutputStream().flush();
            good.getOutputStream().write(message("docker.web", "line one\n", "Y2h1bmsx", false));
            good.getOutputStream().write(message("docker.web", "line two\n", "chunk-2", true));
            good.getOutputStream().flush();
            InputStream in = good.getInputStream();
            byte[] a1 = expectedAck("Y2h1bmsx", false);
            byte[] a2 = expectedAck("chunk-2", true);
            assertArrayEquals(a1, in.readNBytes(a1.length), "{\"ack\": str chunk}");
            assertArrayEquals(a2, in.readNBytes(a2.length), "{\"ack\": bin chunk}");
            assertEquals(-1, bad.getInputStream().read(), "the bad connection is closed");
        }
        p.shutdown();
        List<ReadRecord> all = readJournal(dir);
        assertEquals(List.of("line one", "line two"), all.stream().map(r -> r.record().message()).toList());
        assertEquals("docker.web", all.get(0).record().service());
    }
}
