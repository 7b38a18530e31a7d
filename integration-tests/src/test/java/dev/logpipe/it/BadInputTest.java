package dev.logpipe.it;

import dev.logpipe.collector.ListenerConfig;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.PipelineStats;
import dev.logpipe.collector.RejectReason;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.it.support.JournalScan;
import dev.logpipe.it.support.TcpProducer;
import dev.logpipe.it.support.WireFrames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promise "Bad input never crashes a connection's neighbours": while 8 good connections (two per
 * wire format) send, a bad connection sends broken JSON, invalid UTF-8, oversized frames and binary
 * garbage. The good connections lose nothing; every bad frame is counted by reason and, under the
 * default policies (TRUNCATE, STORE_RAW), still stored, in order.
 */
class BadInputTest {

    private static final int GOOD = 8;
    private static final int PER_GOOD = 5_000;
    private static final int ROUNDS = 250; // each round: one frame of each bad kind
    private static final int MAX_FRAME = 1024;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void badFramesAreCountedByReasonAndGoodConnectionsLoseNothing() throws Exception {
        Path data = dir.resolve("data");
        LogPipeline pipeline = LogPipeline.builder(data)
                .listener(ListenerConfig.builder().bindAddress("127.0.0.1").port(0).maxFrameBytes(MAX_FRAME).build())
                .start();
        try {
            List<TcpProducer> good = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            WireFrames.Format[] formats = WireFrames.Format.values();
            for (int i = 0; i < GOOD; i++) {
                TcpProducer p = new TcpProducer("g" + i, formats[i % formats.length], pipeline.tcpPort(), PER_GOOD, () -> false, 64);
                good.add(p);
                threads.add(new Thread(p, "it-good-" + i));
            }
            AtomicReference<Throwable> badFailure = new AtomicReference<>();
            threads.add(new Thread(() -> {
                try {
                    sendBad(pipeline.tcpPort());
                } catch (Throwable t) {
                    badFailure.set(t);
                }
            }, "it-bad"));
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(100));
                assertTrue(!t.isAlive(), t.getName() + " still running");
            }
            assertNull(badFailure.get(), "the bad connection was cut: " + badFailure.get());
            for (TcpProducer p : good) {
                assertNull(p.failure(), p + " failed");
            }
            pipeline.close();
            PipelineStats stats = pipeline.stats();
            System.out.println("bad input: " + stats);

            assertEquals(ROUNDS, stats.rejected(RejectReason.INVALID_UTF8), "invalid_utf8 frames counted");
            assertEquals(ROUNDS, stats.rejected(RejectReason.BINARY_GARBAGE), "binary_garbage frames counted");
            // broken JSON, and the oversized JSON frames once cut at the limit, do not parse
            assertEquals(2L * ROUNDS, stats.rejected(RejectReason.INVALID_JSON), "invalid_json frames counted");
            assertEquals(ROUNDS, stats.truncated().getOrDefault(SourceFormat.JSON, 0L), "oversized JSON frames truncated");
            assertEquals(0, stats.lostRecords());

            JournalScan scan = JournalScan.readLenient(data); // the bad frames are stored raw
            assertEquals(List.of(), scan.damaged());
            for (TcpProducer p : good) {
                scan.assertExactly(p.id(), PER_GOOD);
            }
            // STORE_RAW: every bad frame is kept (flagged), in the order sent
            scan.assertExactly("bad", 4L * ROUNDS);
        } finally {
            pipeline.close();
        }
    }

    /** Sends ROUNDS x (broken JSON, invalid UTF-8, oversized, binary garbage) on one JSON connection. */
    private static void sendBad(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            OutputStream out = new BufferedOutputStream(s.getOutputStream());
            long seq = 0;
            for (int r = 0; r < ROUNDS; r++) {
                out.write(("{\"level\":\"INFO\",\"msg\":\"x Pbad S" + seq++ + " unterminated\n").getBytes(StandardCharsets.UTF_8));
                ByteArrayOutputStream utf8 = new ByteArrayOutputStream();
                utf8.write(("{\"level\":\"INFO\",\"msg\":\"x Pbad S" + seq++ + " bad ").getBytes(StandardCharsets.UTF_8));
                utf8.write(new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF, (byte) 0xFE});
                utf8.write(" byte\"}\n".getBytes(StandardCharsets.UTF_8));
                out.write(utf8.toByteArray());
                out.write(("{\"level\":\"INFO\",\"msg\":\"x Pbad S" + seq++ + " " + "z".repeat(4 * MAX_FRAME) + "\"}\n")
                        .getBytes(StandardCharsets.UTF_8));
                ByteArrayOutputStream garbage = new ByteArrayOutputStream();
                garbage.write(new byte[] {0, 1, 2, 0});
                garbage.write((" Pbad S" + seq++ + " ").getBytes(StandardCharsets.UTF_8));
                garbage.write(new byte[] {0, 0, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\n'});
                out.write(garbage.toByteArray());
            }
            out.flush();
            s.shutdownOutput();
            s.setSoTimeout(60_000);
            while (s.getInputStream().read() >= 0) {
                // wait for the server's close: it has read everything
            }
        }
    }
}
