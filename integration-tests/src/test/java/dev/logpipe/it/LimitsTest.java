package dev.logpipe.it;

import dev.logpipe.collector.ListenerConfig;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.testsupport.Conditions;
import dev.logpipe.it.support.JournalScan;
import dev.logpipe.it.support.WireFrames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promise "Limits": connections over max-connections are refused and counted while the open ones
 * keep working; a silent connection is closed by the idle timeout and counted, and what it sent
 * before is stored.
 */
class LimitsTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void connectionsOverTheLimitAreRefusedAndCounted() throws Exception {
        Path data = dir.resolve("data");
        LogPipeline pipeline = LogPipeline.builder(data)
                .listener(ListenerConfig.builder().bindAddress("127.0.0.1").port(0).maxConnections(4).build())
                .start();
        List<Socket> open = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Socket s = connect(pipeline.tcpPort());
                open.add(s);
                s.getOutputStream().write(WireFrames.frame(WireFrames.Format.TEXT, "k" + i, 0));
                s.getOutputStream().flush();
            }
            Conditions.await(Duration.ofSeconds(30), "4 active connections", () -> pipeline.stats().activeConnections() == 4,
                    () -> pipeline.stats().toString());
            for (int i = 0; i < 3; i++) {
                Socket extra;
                try {
                    extra = connect(pipeline.tcpPort());
                } catch (java.net.SocketException e) {
                    // the server accepts and resets at once; the reset can reach connect() itself
                    assertTrue(String.valueOf(e.getMessage()).contains("reset"), "refused by a reset, not " + e);
                    continue;
                }
                try (extra) {
                    assertClosedByServer(extra, Duration.ofSeconds(20), "connection " + (5 + i) + " over the limit of 4");
                }
            }
            Conditions.await(Duration.ofSeconds(10), "3 refused connections counted",
                    () -> pipeline.stats().refusedConnections() == 3, () -> pipeline.stats().toString());
            // the four within the limit still work
            for (int i = 0; i < 4; i++) {
                Socket s = open.get(i);
                s.getOutputStream().write(WireFrames.frame(WireFrames.Format.TEXT, "k" + i, 1));
                s.getOutputStream().flush();
                s.shutdownOutput();
                assertClosedByServer(s, Duration.ofSeconds(20), "connection " + i + " after its end of stream");
            }
            pipeline.close();
            assertEquals(3, pipeline.stats().refusedConnections(), "refused connections");
            assertEquals(4, pipeline.stats().acceptedConnections(), "accepted connections");
            JournalScan scan = JournalScan.read(data);
            for (int i = 0; i < 4; i++) {
                scan.assertExactly("k" + i, 2);
            }
        } finally {
            for (Socket s : open) {
                s.close();
            }
            pipeline.close();
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void silentConnectionsAreClosedByTheIdleTimeout() throws Exception {
        Path data = dir.resolve("data");
        Duration idle = Duration.ofMillis(800);
        LogPipeline pipeline = LogPipeline.builder(data)
                .listener(ListenerConfig.builder().bindAddress("127.0.0.1").port(0).idleTimeout(idle).build())
                .start();
        try (Socket silent = connect(pipeline.tcpPort())) {
            long start = System.nanoTime();
            silent.getOutputStream().write(WireFrames.frame(WireFrames.Format.NDJSON, "idle", 0));
            silent.getOutputStream().flush();
            assertClosedByServer(silent, Duration.ofSeconds(30), "a connection silent for longer than the idle timeout");
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMs >= idle.toMillis() - 50, "closed after " + waitedMs + " ms, before the idle timeout of " + idle);
            Conditions.await(Duration.ofSeconds(10), "the idle close counted", () -> pipeline.stats().idleClosedConnections() == 1,
                    () -> pipeline.stats().toString());
            pipeline.close();
            JournalScan scan = JournalScan.read(data);
            scan.assertExactly("idle", 1);
        } finally {
            pipeline.close();
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        return s;
    }

    /** Reads until the server closes (EOF or reset); fails if it is still open after {@code timeout}. */
    private static void assertClosedByServer(Socket s, Duration timeout, String what) throws IOException {
        s.setSoTimeout((int) timeout.toMillis());
        InputStream in = s.getInputStream();
        try {
            while (in.read() >= 0) {
                // an ingest connection gets no bytes; drain anything until the close
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError(what + ": still open after " + timeout);
        } catch (IOException e) {
            // connection reset: closed by the server as well
        }
    }
}
