package dev.logpipe.it;

import dev.logpipe.it.support.ChildJvm;
import dev.logpipe.it.support.JournalScan;
import dev.logpipe.it.support.ServeProcess;
import dev.logpipe.it.support.WireFrames;
import dev.logpipe.testsupport.Conditions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code serve}'s JIT warm-up (on by default, {@code --warmup}): it runs on a throwaway journal in
 * {@code warmup.tmp} of the data directory before the listener binds, leaves nothing there
 * afterwards, not even when the server is stopped in the middle of it, and none of its records reach
 * the real journal.
 */
class WarmupTest {

    /** Where serve's warm-up keeps its throwaway journal, in the data directory. */
    private static final String WARMUP_DIR = "warmup.tmp";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theDefaultWarmUpRunsBeforeListeningAndLeavesOnlyTheClientsRecords() throws Exception {
        assumeRoomForAWarmup();
        Path data = dir.resolve("data");
        try (ServeProcess serve = ServeProcess.start(data, dir, "serve", List.of("-Xmx256m"))) {
            assertTrue(serve.stdout().contains("warm-up     up to 2s"), serve.output());
            assertTrue(serve.output().contains("JIT warm-up: "), "the warm-up ran before 'ready': " + serve.output());
            assertFalse(Files.exists(data.resolve(WARMUP_DIR)), "the throwaway journal is deleted before serve is ready");
            try (Socket socket = new Socket("127.0.0.1", serve.port());
                 OutputStream os = socket.getOutputStream()) {
                for (int i = 0; i < 100; i++) {
                    os.write(WireFrames.frame(WireFrames.Format.NDJSON, "w", i));
                }
            }
            Conditions.await(Duration.ofSeconds(30), "the client's 100 records durable",
                    () -> serve.metric("logpipe_durable_records_total") >= 100);
            serve.sigterm();
            assertEquals(0, serve.awaitExit(Duration.ofSeconds(60)), serve.output());
        }
        JournalScan scan = JournalScan.read(data);
        assertEquals(100, scan.records(), "only the client's records, none of the warm-up's: " + scan);
        scan.assertExactly("w", 100);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aSigtermDuringTheWarmUpLeavesNoThrowawayJournalBehind() throws Exception {
        assumeRoomForAWarmup();
        Path data = dir.resolve("data");
        Path warmup = data.resolve(WARMUP_DIR);
        Path out = dir.resolve("serve.out");
        Path err = dir.resolve("serve.err");
        // a budget far longer than the test waits: the signal comes while it runs
        Process p = ChildJvm.start(out, err, List.of("-Xmx256m"), List.of("serve", "--data", data.toString(),
                "--port", "0", "--admin-port", "0", "--warmup", "5m"));
        try {
            Conditions.await(Duration.ofSeconds(60), "the warm-up's journal to hold a segment", () -> {
                assertTrue(p.isAlive(), () -> "serve exited early: " + ChildJvm.read(out) + ChildJvm.read(err));
                return holdsASegment(warmup);
            });
            assertFalse(ChildJvm.read(out).contains("\nready"), "still warming up when signalled: " + ChildJvm.read(out));
            p.destroy(); // SIGTERM, before serve handles signals itself
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "serve did not exit after SIGTERM");
        } finally {
            p.destroyForcibly();
        }
        assertFalse(Files.exists(warmup), "the shutdown deletes the throwaway journal; stderr: " + ChildJvm.read(err));
    }

    /**
     * A data volume with too little room for the warm-up's journal (a 24 MiB tmpfs; it asks for 256
     * MiB beside the journal's reserve): serve skips it, saying so, becomes ready at once, starting
     * cold, and leaves nothing behind. Needs permission to mount a tmpfs (root on Linux); skipped
     * otherwise.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void onAVolumeTooSmallForTheWarmUpServeSkipsItAndStartsCold() throws Exception {
        Path volume = Files.createDirectories(dir.resolve("small"));
        Process mount;
        try {
            mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", volume.toString())
                    .redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("cannot run mount: " + e.getMessage() + "; this test needs a tmpfs (root)");
            return;
        }
        Assumptions.assumeTrue(mount.waitFor(20, TimeUnit.SECONDS) && mount.exitValue() == 0,
                "cannot mount a tmpfs here (needs root): " + new String(mount.getInputStream().readAllBytes()).trim());
        try {
            Path data = volume.resolve("data");
            long start = System.nanoTime();
            try (ServeProcess serve = ServeProcess.start(data, dir, "serve-small", List.of("-Xmx256m"))) {
                long readyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                // no warm-up, and a JVM's start on a busy machine
                assertTrue(readyMs < 20_000, "ready after " + readyMs + " ms: " + serve.output());
                assertFalse(serve.stderr().contains("journal paused"), "no pause, neither of the journal nor of a warm-up: "
                        + serve.output());
                assertTrue(serve.output().contains("JIT warm-up skipped, starting cold"), serve.output());
                assertFalse(Files.exists(data.resolve(WARMUP_DIR)), "the throwaway journal is deleted");
                serve.sigterm();
                assertEquals(0, serve.awaitExit(Duration.ofSeconds(60)), serve.output());
            }
        } finally {
            new ProcessBuilder("umount", "-l", volume.toString()).start().waitFor(20, TimeUnit.SECONDS);
        }
    }

    /** The warm-up asks for 256 MiB beside the journal's 16 MiB reserve and is skipped without it. */
    private void assumeRoomForAWarmup() throws java.io.IOException {
        Assumptions.assumeTrue(Files.getFileStore(dir).getUsableSpace() >= (272L << 20),
                "less than 272 MiB free in " + dir + ": serve skips its warm-up there");
    }

    private static boolean holdsASegment(Path d) {
        if (!Files.isDirectory(d)) {
            return false;
        }
        try (Stream<Path> s = Files.walk(d)) {
            return s.anyMatch(f -> f.getFileName().toString().endsWith(".cq4"));
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return false; // being created or deleted right now
        }
    }
}
