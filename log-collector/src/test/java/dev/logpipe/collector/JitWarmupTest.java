package dev.logpipe.collector;

import static dev.logpipe.collector.TestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.filesink.JournalSettings;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.SinkListener;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The JIT warm-up of {@link LogPipeline.Builder#warmup}: it runs, leaves nothing behind, and the pipeline starts as usual. */
class JitWarmupTest {

    @Test
    @Timeout(60)
    void theWarmupEmitsIntoAThrowawayJournalAndDeletesIt(@TempDir Path data, @TempDir Path temp) throws Exception {
        assumeRoomForAWarmup(temp);
        JitWarmup.Outcome o = JitWarmup.run(LogPipeline.builder(data), Duration.ofSeconds(10), temp.resolve("w"));

        assertNotNull(o, "the warm-up ran");
        assertTrue(o.emitted() > 0, "it emitted records: " + o);
        assertTrue(o.emitted() <= JitWarmup.MAX_RECORDS + JitWarmup.FIRST_ROUND_RECORDS, "at most the caps: " + o);
        assertEquals(2, o.rounds(), "two rounds, each on a fresh journal: " + o);
        assertEquals(0, o.sent(), "no listener or receiver: every record through emit: " + o);
        assertEquals(o.emitted(), o.stored(), "every one of them became durable within a generous budget");
        try (Stream<Path> left = Files.list(temp)) {
            assertEquals(List.of(), left.toList(), "its journals are deleted");
        }
        try (Stream<Path> touched = Files.list(data)) {
            assertEquals(List.of(), touched.toList(), "the real data directory is not touched");
        }
    }

    @Test
    @Timeout(60)
    void withAListenerPartOfTheWarmupIsSentAsTheListenersSendAndStoredLikeTheRest(@TempDir Path data, @TempDir Path temp)
            throws Exception {
        assumeRoomForAWarmup(temp);
        // A server's writer takes records in the journal's layout from its listeners: the warm-up
        // sends some that way, or the writer's code compiled for emitted records only is thrown away
        // at the first network record.
        LogPipeline.Builder server = LogPipeline.builder(data).listener(TcpIngestTest.textListener().build());
        JitWarmup.Outcome o = JitWarmup.run(server, Duration.ofSeconds(10), temp.resolve("w"));

        assertNotNull(o, "the warm-up ran");
        assertTrue(o.sent() > 0 && o.sent() < o.emitted(), "some records sent as a listener sends, the rest emitted: " + o);
        assertEquals(2, o.rounds(), o.toString());
        assertEquals(o.emitted(), o.stored(), "both kinds became durable");
        try (Stream<Path> left = Files.list(temp)) {
            assertEquals(List.of(), left.toList(), "its journals are deleted");
        }
        try (Stream<Path> touched = Files.list(data)) {
            assertEquals(List.of(), touched.toList(), "the real data directory is not touched, nor anything bound");
        }
    }

    @Test
    @Timeout(60)
    void aWarmedUpPipelineStartsEmptyAndStoresTheApplicationsRecordsInOrder(@TempDir Path data) throws Exception {
        assumeRoomForAWarmup(data);
        AtomicLong batched = new AtomicLong();
        SinkListener listener = new SinkListener() {
            @Override
            public void onBatch(int records, long bytes) {
                batched.addAndGet(records);
            }
        };
        try (LogPipeline p = LogPipeline.builder(data).warmup(Duration.ofSeconds(1)).sinkListener(listener).start()) {
            assertNotNull(p.warmupOutcome(), "the warm-up ran");
            assertTrue(p.warmupOutcome().emitted() > 0, p.warmupOutcome().toString());
            PipelineStats before = p.stats();
            assertEquals(0, before.writtenRecords(), "no warm-up record counted as this pipeline's");
            assertEquals(0, before.durableRecords());
            assertEquals(0, batched.get(), "nor seen by its sink listener");

            int threads = 2;
            int perThread = 5_000;
            List<Thread> emitters = new ArrayList<>();
            List<CompletableFuture<Long>> last = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Emitter e = p.emitter("app-" + t);
                CompletableFuture<Long> done = new CompletableFuture<>();
                last.add(done);
                String tag = "t" + t;
                emitters.add(new Thread(() -> {
                    CompletableFuture<Long> stage = null;
                    for (int i = 0; i < perThread; i++) {
                        stage = e.emit(LogRecord.builder().message(tag + " " + i).build()).toCompletableFuture();
                    }
                    stage.whenComplete((v, err) -> {
                        if (err != null) {
                            done.completeExceptionally(err);
                        } else {
                            done.complete(v);
                        }
                    });
                }));
            }
            emitters.forEach(Thread::start);
            for (Thread t : emitters) {
                t.join();
            }
            for (CompletableFuture<Long> f : last) {
                f.join(); // durable
            }
            assertEquals((long) threads * perThread, p.stats().writtenRecords());
        }
        List<ReadRecord> journal = readJournal(data);
        assertEquals(10_000, journal.size(), "exactly the application's records, no warm-up record");
        assertEquals(10_000, batched.get(), "the sink listener saw exactly those");
        Map<String, Integer> next = new HashMap<>();
        for (ReadRecord rr : journal) {
            String[] parts = rr.record().message().split(" ");
            int expected = next.getOrDefault(parts[0], 0);
            assertEquals(expected, Integer.parseInt(parts[1]), "order per emitting thread: " + rr.record().message());
            next.put(parts[0], expected + 1);
        }
    }

    @Test
    @Timeout(60)
    void withAListenerTheWarmupRunsBeforeItBindsAndTcpRecordsAreStoredAsUsual(@TempDir Path data) throws Exception {
        assumeRoomForAWarmup(data);
        int lines = 500;
        try (LogPipeline p = LogPipeline.builder(data).warmup(Duration.ofMillis(500))
                .listener(TcpIngestTest.textListener().build()).start()) {
            assertNotNull(p.warmupOutcome(), "the warm-up ran");
            assertEquals(0, p.stats().receivedTotal(), "the warm-up's records are not this pipeline's");
            try (Socket s = TestSupport.connect(TcpIngestTest.address(p))) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < lines; i++) {
                    sb.append("line ").append(i).append('\n');
                }
                TestSupport.write(s, sb.toString());
            }
            TestSupport.awaitCondition(Duration.ofSeconds(30), "every line durable", () -> p.stats().durableRecords() == lines);
        }
        List<ReadRecord> journal = readJournal(data);
        assertEquals(lines, journal.size());
        for (int i = 0; i < lines; i++) {
            assertEquals("line " + i, journal.get(i).record().message());
        }
    }

    @Test
    @Timeout(60)
    void withSyncNeverTheWarmupWaitsForWrittenNotForASyncThatNeverComes(@TempDir Path data, @TempDir Path temp) throws Exception {
        assumeRoomForAWarmup(temp);
        // Durable stages complete only at close when nothing syncs: a warm-up waiting on them would
        // hang start(); it emits at WRITTEN instead and counts what was written.
        JitWarmup.Outcome o = JitWarmup.run(LogPipeline.builder(data).syncNever(), Duration.ofSeconds(10), temp.resolve("w"));

        assertNotNull(o);
        assertTrue(o.emitted() > 0, "it emitted records: " + o);
        assertEquals(o.emitted(), o.stored(), "all of them written");
        assertTrue(o.took().compareTo(Duration.ofSeconds(10)) < 0, "it did not wait out its budget: " + o);
    }

    @Test
    void aWarmupThatCannotRunReturnsNothingAndLeavesNothing(@TempDir Path data, @TempDir Path dir) throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");

        assertNull(JitWarmup.run(LogPipeline.builder(data), Duration.ofSeconds(1), notADirectory.resolve("w")));
        try (Stream<Path> touched = Files.list(data)) {
            assertEquals(List.of(), touched.toList());
        }
    }

    @Test
    @Timeout(60)
    void startWarmsUpInTheJournalDirectoryAndDeletesWhatAKilledWarmupLeftThere(@TempDir Path data) throws Exception {
        Path leftover = Files.createDirectories(data.resolve(JitWarmup.DIR_NAME));
        Files.writeString(leftover.resolve("20261206-00.cq4"), "a killed warm-up's segment");

        try (LogPipeline p = LogPipeline.builder(data).warmup(Duration.ofSeconds(1)).start()) {
            assertFalse(Files.exists(leftover), "the leftover and the warm-up's own journal are gone once start() returns");
            assertTrue(p.warmupOutcome() != null || !roomForAWarmup(data), "the warm-up ran where there is room for it");
            p.emitter("app").emit(LogRecord.builder().message("first").build(), Durability.DURABLE)
                    .toCompletableFuture().get();
        }
        List<ReadRecord> stored = readJournal(data);
        assertEquals(1, stored.size(), "only the application's record: " + stored);
        assertEquals("first", stored.get(0).record().message());
    }

    /** Whether {@code dir}'s volume has the room the warm-up asks for beside the default reserve. */
    private static boolean roomForAWarmup(Path dir) throws Exception {
        return Files.getFileStore(dir).getUsableSpace() >= JitWarmup.SPACE_NEEDED + JournalSettings.builder().build().minFreeBytes();
    }

    /** On a nearly full disk the warm-up is skipped by design: the tests that need it to run cannot say anything there. */
    private static void assumeRoomForAWarmup(Path dir) throws Exception {
        Assumptions.assumeTrue(roomForAWarmup(dir), "less than " + (JitWarmup.SPACE_NEEDED >> 20)
                + " MiB free beside the journal's reserve in " + dir + ": the warm-up is skipped there");
    }

    @Test
    void aNegativeBudgetIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> LogPipeline.builder(Path.of("unused")).warmup(Duration.ofMillis(-1)));
    }
}
