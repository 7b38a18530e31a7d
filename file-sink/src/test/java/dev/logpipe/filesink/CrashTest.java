package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.runtime.TaskRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kills a writer child JVM with SIGKILL at several points and proves that the journal reopens, holds
 * every record reported durable exactly once, returns no half record, and takes appends after the
 * last complete record.
 */
class CrashTest {

    @TempDir
    Path dir;

    @TempDir
    Path logs;

    private static List<String> childCommand(Path dir, int run) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Dchronicle")) {
                cmd.add(a);
            }
        }
        cmd.add("-Dchronicle.analytics.disable=true");
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1"); // the child lives seconds: start fast rather than peak fast
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CrashWriterMain.class.getName());
        cmd.add(dir.toString());
        cmd.add(Integer.toString(run));
        return cmd;
    }

    /** Runs child {@code run}, kills it after it printed {@code durableLines} watermarks; returns them. */
    private List<Long> runAndKill(int run, int durableLines) throws Exception {
        Path err = logs.resolve("child-" + run + ".err");
        ProcessBuilder pb = new ProcessBuilder(childCommand(dir, run)).redirectError(err.toFile());
        Process p = pb.start();
        List<Long> durable = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String line;
            while (durable.size() < durableLines && (line = out.readLine()) != null) {
                if (line.startsWith("DURABLE ")) {
                    durable.add(Long.parseLong(line.substring(8).trim()));
                }
                if (System.nanoTime() > deadline) {
                    break;
                }
            }
            if (run == 0 && !durable.isEmpty()) {
                // while the child lives, a writer in this process is refused, naming the holder
                FileSink second = FileSink.builder(dir).rollCycle(RollCycle.MINUTELY).build();
                JournalLockedException e = org.junit.jupiter.api.Assertions.assertThrows(JournalLockedException.class,
                        () -> second.start(Mpsc.<AppendRequest>bounded(1).receiver()));
                assertTrue(e.getMessage().contains("pid " + p.pid()), e.getMessage());
                second.close();
            }
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no final sync, maybe mid-append
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            // what the child printed after our last read line is not counted as reported
        }
        String childLog = Files.readString(err);
        if (!childLog.isBlank()) {
            System.out.println("child " + run + " stderr:\n" + childLog);
        }
        if (durable.size() < durableLines) {
            fail("child " + run + " printed only " + durable.size() + " watermarks; stderr:\n"
                    + Files.readString(err));
        }
        return durable;
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void sigkilledWriterLosesNothingDurableAndResumes() throws Exception {
        int[] killAfter = {3, 12, 30};
        List<Long> allDurable = new ArrayList<>();
        for (int run = 0; run < killAfter.length; run++) {
            long t0 = System.nanoTime();
            LiveReader live = run == killAfter.length - 1 ? new LiveReader(dir) : null;
            allDurable.addAll(runAndKill(run, killAfter[run]));
            if (live != null) {
                live.stopAndCheck(run);
            }
            long t1 = System.nanoTime();
            Map<Integer, Long> counts = checkJournal(allDurable, run + 1);
            System.out.printf("run %d: child %d ms, check %d ms, records %s%n", run, (t1 - t0) / 1_000_000,
                    (System.nanoTime() - t1) / 1_000_000, counts);
        }
        // appending continues after the last complete record, in this process
        TaskRuntime runtime = TaskRuntime.builder().workerThreads(1).maxBlockingThreads(2).threadNamePrefix("t").build();
        try {
            FileSink sink = FileSink.builder(dir).runtime(runtime).rollCycle(RollCycle.MINUTELY).build();
            Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(16);
            sink.start(ch.receiver());
            for (int i = 0; i < 10; i++) {
                ch.sender().blockingSend(AppendRequest.of(CrashWriterMain.record(killAfter.length, i)));
            }
            ch.sender().close();
            WriterReport r = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertTrue(r.clean(), r.toString());
        } finally {
            runtime.shutdown(Duration.ofSeconds(5));
        }
        Map<Integer, Long> perRun = checkJournal(allDurable, killAfter.length + 1);
        assertEquals(10L, perRun.get(killAfter.length));
        assertTrue(JournalVerifier.verify(dir).ok(), JournalVerifier.verify(dir).toString());
    }

    /**
     * A reader in this process that follows the journal while the child process writes it, and
     * checks that it sees the child's records in order, each once.
     */
    private static final class LiveReader {
        private final Thread thread;
        private final List<ReadRecord> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile boolean stop;
        private volatile Throwable error;

        LiveReader(Path dir) {
            thread = new Thread(() -> {
                try (JournalReader r = JournalReader.builder(dir).fromEnd().build()) {
                    while (!stop) {
                        ReadRecord rr = r.poll(Duration.ofMillis(100));
                        if (rr != null) {
                            seen.add(rr);
                        }
                    }
                } catch (Throwable t) {
                    error = t;
                }
            }, "live-reader");
            thread.start();
        }

        void stopAndCheck(int run) throws InterruptedException {
            stop = true;
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertTrue(error == null, "live reader failed: " + error);
            assertTrue(!seen.isEmpty(), "the live reader saw the other process's records");
            long n = -1;
            long prevIndex = -1;
            for (ReadRecord rr : seen) {
                assertTrue(rr.index() > prevIndex);
                prevIndex = rr.index();
                assertEquals(Integer.toString(run), rr.record().fields().get("run").text());
                long k = Long.parseLong(rr.record().fields().get("n").text());
                assertTrue(n < 0 || k == n + 1, "no gap or duplicate while following: " + n + " then " + k);
                n = k;
            }
        }
    }

    /**
     * Reads the whole journal and checks: every record decodes; indices strictly increase; runs
     * appear in order; each run's records are 0..k with no gap or duplicate; every reported durable
     * index is present. Returns the record count per run.
     */
    private Map<Integer, Long> checkJournal(List<Long> durable, int runs) {
        Set<Long> indices = new HashSet<>();
        Map<Integer, Long> next = new HashMap<>();
        long prevIndex = -1;
        int prevRun = 0;
        try (JournalReader r = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = r.next()) != null; ) { // a damaged record would throw here
                assertTrue(rr.index() > prevIndex, "indices increase");
                prevIndex = rr.index();
                indices.add(rr.index());
                int run = Integer.parseInt(rr.record().fields().get("run").text());
                long n = Long.parseLong(rr.record().fields().get("n").text());
                assertTrue(run >= prevRun && run < runs, "runs in order: " + run + " after " + prevRun);
                prevRun = run;
                long expected = next.getOrDefault(run, 0L);
                assertEquals(expected, n, "run " + run + ": no gap, no duplicate");
                assertEquals(CrashWriterMain.record(run, n).message(), rr.record().message());
                next.put(run, n + 1);
            }
        }
        for (long d : durable) {
            assertTrue(indices.contains(d), "durable index " + d + " is in the journal");
        }
        return next;
    }
}
