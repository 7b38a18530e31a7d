package dev.logpipe.it;

import dev.logpipe.it.support.ChildJvm;
import dev.logpipe.testsupport.Conditions;
import dev.logpipe.it.support.JournalScan;
import dev.logpipe.it.support.ProducerGroup;
import dev.logpipe.it.support.ServeProcess;
import dev.logpipe.it.support.TcpProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promise "a full disk is backpressure, not failure": a {@code logpipe serve} child writes its journal
 * on a 16 MiB tmpfs while 4 clients send about twice that. When the tmpfs fills, the journal pauses:
 * {@code /ready} answers 503 {@code paused} ({@code /health} stays 200), the metrics say not writable,
 * the clients are held back by TCP flow control, the books balance with nothing lost. Then the tmpfs
 * is grown and the same process resumes by itself: every record is stored exactly once, in order, and
 * SIGTERM exits 0. Needs permission to mount a tmpfs (root on Linux); skipped otherwise.
 */
class DiskFullServeTest {

    private static final int CLIENTS = 4;
    private static final long PER_CLIENT = 25_000; // ~200-byte frames: ~20 MB in all, more than fits

    @TempDir
    Path dir;

    Path mountPoint;
    boolean mounted;

    @BeforeEach
    void mount() throws Exception {
        mountPoint = Files.createDirectories(dir.resolve("mnt"));
        Process p;
        try {
            p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mountPoint.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("cannot run mount: " + e.getMessage() + "; the disk-full test needs a tmpfs (root)");
            return;
        }
        mounted = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a tmpfs here (needs root): "
                + new String(p.getInputStream().readAllBytes()).trim() + "; disk-full test skipped");
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            // lazy: the child may still be exiting
            new ProcessBuilder("umount", "-l", mountPoint.toString()).start().waitFor(20, TimeUnit.SECONDS);
        }
    }

    private void grow(String size) throws Exception {
        Process grow = new ProcessBuilder("mount", "-o", "remount,size=" + size, mountPoint.toString())
                .redirectErrorStream(true).start();
        assertTrue(grow.waitFor(20, TimeUnit.SECONDS) && grow.exitValue() == 0,
                "remount the tmpfs at " + size + ": " + new String(grow.getInputStream().readAllBytes()));
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aFullDiskPausesTheServerWhichResumesByItselfWhenTheVolumeGrowsWithEveryRecordStoredOnce() throws Exception {
        Path data = mountPoint.resolve("data");
        try (ServeProcess serve = ServeProcess.start(data, dir, "serve", List.of("-Xmx256m"),
                "--min-free", "2MiB", "--channel-records", "4096")) {
            ProducerGroup clients = new ProducerGroup("d", CLIENTS, serve.port(), PER_CLIENT, 64).start();
            try {
                Conditions.await(Duration.ofSeconds(90), "the journal to pause on the full tmpfs", () -> {
                    assertTrue(serve.isAlive(), "serve died\n" + serve.output());
                    return serve.metric("logpipe_journal_writable") == 0 && serve.metric("logpipe_written_records_total") > 0;
                }, serve::output);

                HttpResponse<String> ready = serve.get("/ready");
                assertEquals(503, ready.statusCode(), "not ready while paused");
                assertEquals("paused\n", ready.body());
                assertEquals(200, serve.get("/health").statusCode(), "the process works: liveness stays 200");

                // Paused senders: nothing is written, the clients are held back, and the books balance at rest.
                Map<String, Double>[] at = new Map[1];
                Conditions.await(Duration.ofSeconds(30), "the books to balance while paused", () -> {
                    Map<String, Double> a = serve.metrics();
                    Map<String, Double> b = serve.metrics();
                    at[0] = b;
                    return received(a) == received(b) && written(a) == written(b)
                            && received(b) == written(b) + lost(b) + b.getOrDefault("logpipe_records_in_flight", -1.0);
                }, () -> String.valueOf(at[0]));
                Map<String, Double> paused = at[0];
                assertEquals(0.0, lost(paused), "nothing lost while paused");
                assertTrue(paused.get("logpipe_records_in_flight") > 0, "records wait in memory: " + paused);
                assertTrue(written(paused) < CLIENTS * PER_CLIENT);
                assertTrue(clients.producers().stream().anyMatch(p -> !p.done()), "senders are held back");
                assertTrue(paused.get("logpipe_journal_pauses_total") >= 1);

                ChildJvm.Result stats = ChildJvm.run(dir, Duration.ofSeconds(60), null, "stats", "--admin",
                        "http://127.0.0.1:" + serve.adminPort());
                assertEquals(0, stats.exitCode(), stats.toString());
                assertTrue(stats.stdout().contains("NOT READY") && stats.stdout().contains("PAUSED"), stats.toString());

                grow("96m"); // the same process resumes by itself
            } catch (Throwable t) {
                clients.stop(); // only on failure: the clients send everything otherwise
                throw t;
            }
            clients.join(120);
            clients.assertNoFailure();
            long sent = clients.flushedTotal();
            assertEquals(CLIENTS * PER_CLIENT, sent, "every client sent everything");
            Conditions.await(Duration.ofSeconds(60), "all " + sent + " records written",
                    () -> serve.metric("logpipe_written_records_total") == sent, serve::output);
            Conditions.await(Duration.ofSeconds(30), "/ready 200 again", () -> readyStatus(serve) == 200,
                    serve::output);
            assertEquals(1, serve.metric("logpipe_journal_writable"));
            assertTrue(serve.metrics().get("logpipe_journal_paused_seconds_total") > 0);

            serve.sigterm();
            assertEquals(0, serve.awaitExit(Duration.ofSeconds(60)), "exit code\n" + serve.output());
            assertTrue(serve.stdout().contains("for lack of space"), serve.output());
            assertFalse(serve.stdout().contains("LOST"), serve.output());
            assertEquals(1, serve.stderr().split("journal paused:", -1).length - 1, "one WARN per episode\n" + serve.output());

            String out = serve.stdout();
            System.out.println("disk-full: " + out.substring(Math.max(0, out.indexOf("logpipe: stopped"))));
            JournalScan scan = JournalScan.read(data);
            assertEquals(List.of(), scan.damaged());
            for (TcpProducer p : clients.producers()) {
                scan.assertExactly(p.id(), PER_CLIENT);
            }
            assertEquals(sent, scan.records());
        }
    }

    private static int readyStatus(ServeProcess serve) {
        try {
            return serve.get("/ready").statusCode();
        } catch (IOException e) {
            throw new AssertionError("cannot GET /ready: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static double received(Map<String, Double> m) {
        return m.entrySet().stream().filter(e -> e.getKey().startsWith("logpipe_received_records_total"))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    private static double written(Map<String, Double> m) {
        return m.getOrDefault("logpipe_written_records_total", -1.0);
    }

    private static double lost(Map<String, Double> m) {
        return m.entrySet().stream().filter(e -> e.getKey().startsWith("logpipe_lost_records_total"))
                .mapToDouble(Map.Entry::getValue).sum();
    }
}
