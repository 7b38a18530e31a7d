package dev.logpipe.it;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.SendResult;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.FileSink;
import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.it.support.ChildJvm;
import dev.logpipe.testsupport.Conditions;
import dev.logpipe.testsupport.MutableClock;
import dev.logpipe.it.support.WireFrames;
import dev.logpipe.runtime.TaskRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rotation under load: a journal with a minutely roll cycle on an injected clock, moved a minute
 * forward again and again while 4 producer threads write. A {@code logpipe tail -f} child process
 * and a named reader (closed and reopened every few thousand records) follow it live across every
 * roll: each sees every record exactly once, every producer's in order. Retention (max age 2
 * minutes) deletes no segment a named reader has not finished, and deletes the old ones once it has.
 *
 * <p>The pipeline builder has no time provider, so this drives {@link FileSink} directly, with the
 * same channel type the pipeline uses.
 */
class RotationTest {

    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 15_000;
    private static final int ROLL_EVERY = 6_000; // records between clock moves: 10 rolls in all
    private static final Pattern MARKER = Pattern.compile("P(t\\d+) S(\\d+)");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void tailAndANamedReaderFollowEveryRollAndRetentionSparesUnreadSegments() throws Exception {
        Path data = dir.resolve("data");
        MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(30)));
        TaskRuntime runtime = TaskRuntime.builder().workerThreads(2).threadNamePrefix("it-rot").build();
        Mpsc.Channel<AppendRequest> channel = Mpsc.bounded(8192);
        FileSink sink = FileSink.builder(data).runtime(runtime).rollCycle(RollCycle.MINUTELY).timeProvider(clock)
                .syncInterval(Duration.ofMillis(50)).retentionMaxAge(Duration.ofMinutes(2)).build();
        sink.start(channel.receiver());
        Process tail = null;
        try {
            // The slow named reader reads 10 records of the first segment and stops there: retention must keep
            // that segment and everything after it.
            MpscSender<AppendRequest> first = channel.sender().clone();
            for (int i = 0; i < 10; i++) {
                assertTrue(first.blockingSend(AppendRequest.of(record("warm", i))).isSent());
            }
            first.close();
            Conditions.await(Duration.ofSeconds(30), "10 records written", () -> sink.stats().writtenRecords() >= 10);
            try (JournalReader slow = JournalReader.builder(data).named("slow").fromStart().build()) {
                for (int i = 0; i < 10; i++) {
                    ReadRecord rr = slow.poll(Duration.ofSeconds(10));
                    assertEquals(WireFrames.message("warm", i), rr.record().message());
                }
            }
            Path tailOut = dir.resolve("tail.out");
            tail = ChildJvm.start(tailOut, dir.resolve("tail.err"), List.of("-Xmx256m"),
                    List.of("tail", "--data", data.toString(), "-f", "--from-start", "--format", "text"));
            Process tailProcess = tail;
            Conditions.await(Duration.ofSeconds(60), "tail -f to print the first records",
                    () -> ChildJvm.read(tailOut).contains("Pwarm S9"),
                    () -> ChildJvm.read(dir.resolve("tail.err")) + " alive " + tailProcess.isAlive());

            // the named reader follows live on its own thread, reopening itself now and then
            Map<String, List<Long>> named = new HashMap<>();
            AtomicReference<Throwable> readerFailure = new AtomicReference<>();
            long total = (long) PRODUCERS * PER_PRODUCER;
            Thread reader = new Thread(() -> {
                try {
                    follow(data, total, named);
                } catch (Throwable t) {
                    readerFailure.set(t);
                }
            }, "it-named-reader");
            reader.start();

            List<Thread> producers = new ArrayList<>();
            AtomicReference<Throwable> producerFailure = new AtomicReference<>();
            for (int p = 0; p < PRODUCERS; p++) {
                String id = "t" + p;
                MpscSender<AppendRequest> tx = channel.sender().clone();
                Thread t = new Thread(() -> {
                    try (tx) {
                        for (int seq = 0; seq < PER_PRODUCER; seq++) {
                            SendResult<AppendRequest> r = tx.blockingSend(AppendRequest.of(record(id, seq)));
                            if (!r.isSent()) {
                                throw new AssertionError(id + " seq " + seq + ": " + r);
                            }
                        }
                    } catch (Throwable e) {
                        producerFailure.compareAndSet(null, e);
                    }
                }, "it-rot-producer-" + p);
                producers.add(t);
                t.start();
            }
            // move the clock a minute every ROLL_EVERY records written, while the producers write
            long nextRoll = 10 + ROLL_EVERY;
            int moves = 0;
            while (producers.stream().anyMatch(Thread::isAlive)) {
                long written = sink.stats().writtenRecords();
                if (written >= nextRoll) {
                    clock.advance(Duration.ofMinutes(1));
                    moves++;
                    nextRoll += ROLL_EVERY;
                }
                producers.get(0).join(2); // poll interval
            }
            assertNull(producerFailure.get(), "a producer failed: " + producerFailure.get());
            Conditions.await(Duration.ofSeconds(60), "every record written",
                    () -> sink.stats().writtenRecords() == total + 10, () -> sink.stats().toString());
            long rolls = sink.stats().rolls();
            long segmentsBefore = segmentFiles(data);
            // every clock move is followed by a roll, except the last when it came after the last record;
            // the loop polls every 2 ms, so on a busy machine the writer can pass a threshold or two
            // between polls: fewer than the nominal 10 moves, still several rolls under load
            assertTrue(moves >= 4 && rolls >= moves - 1, "clock moved " + moves + " times, journal rolled " + rolls + " times");
            assertEquals(0, sink.stats().retentionDeletedSegments(),
                    "retention deleted a segment while named reader 'slow' had not finished it");

            reader.join(TimeUnit.SECONDS.toMillis(120));
            assertTrue(!reader.isAlive(), "the named reader did not reach the end");
            assertNull(readerFailure.get(), "the named reader failed: " + readerFailure.get());
            for (int p = 0; p < PRODUCERS; p++) {
                assertEquals(range(PER_PRODUCER), named.get("t" + p), "named reader: producer t" + p);
            }

            Conditions.await(Duration.ofSeconds(60), "tail -f to print the last records",
                    () -> lastSeqsPrinted(ChildJvm.read(tailOut)), () -> "tail printed " + ChildJvm.read(tailOut).length() + " chars");
            Map<String, List<Long>> tailed = parse(ChildJvm.read(tailOut));
            for (int p = 0; p < PRODUCERS; p++) {
                assertEquals(range(PER_PRODUCER), tailed.get("t" + p), "tail -f: producer t" + p);
            }

            // retention: still nothing deleted while 'slow' sits in the first segment
            assertEquals(0, sink.runRetention().toCompletableFuture().get(60, TimeUnit.SECONDS),
                    "segments deleted while a named reader has not finished them");
            assertEquals(segmentsBefore, segmentFiles(data));
            // 'slow' reads on to the end, across every roll, losing nothing
            Map<String, List<Long>> slowRead = new HashMap<>();
            try (JournalReader slow = JournalReader.builder(data).named("slow").build()) {
                for (long n = 0; n < total; n++) {
                    ReadRecord rr = slow.poll(Duration.ofSeconds(10));
                    assertTrue(rr != null, "named reader 'slow' stopped after " + n + " records");
                    add(slowRead, rr.record().message());
                }
            }
            for (int p = 0; p < PRODUCERS; p++) {
                assertEquals(range(PER_PRODUCER), slowRead.get("t" + p), "reopened named reader 'slow': producer t" + p);
            }
            int deleted = sink.runRetention().toCompletableFuture().get(60, TimeUnit.SECONDS);
            long segmentsAfter = segmentFiles(data);
            System.out.printf("rotation: %d clock moves, %d rolls, %d segments; retention deleted %d, %d left%n",
                    moves, rolls, segmentsBefore, deleted, segmentsAfter);
            assertTrue(deleted > 0, "retention deleted nothing once every reader had finished the old segments");
            assertEquals(segmentsBefore - deleted, segmentsAfter);
            // the segments left: the last ones, younger than the max age of 2 minutes on the injected clock
            assertTrue(segmentsAfter >= 2 && segmentsAfter <= 4, segmentsAfter + " segments left");
            try (JournalReader fresh = JournalReader.builder(data).fromStart().build()) {
                ReadRecord firstLeft = fresh.next();
                assertTrue(firstLeft != null && !firstLeft.record().message().startsWith("Pwarm"),
                        "a reader from the start begins at the oldest segment left: " + firstLeft);
            }
        } finally {
            if (tail != null) {
                tail.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            channel.sender().close();
            sink.close();
            runtime.shutdown(Duration.ofSeconds(5));
        }
    }

    /** Reads as the named reader "live", reopening it every 7,000 records, until it has {@code total} of the producers'. */
    private static void follow(Path data, long total, Map<String, List<Long>> out) throws Exception {
        long seen = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        while (seen < total) {
            try (JournalReader r = JournalReader.builder(data).named("live").fromStart().build()) {
                for (int i = 0; i < 7_000 && seen < total; ) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new AssertionError("named reader saw only " + seen + " of " + total);
                    }
                    ReadRecord rr = r.poll(Duration.ofMillis(200));
                    if (rr == null) {
                        continue;
                    }
                    if (rr.record().message().startsWith("Pwarm")) {
                        continue;
                    }
                    add(out, rr.record().message());
                    seen++;
                    i++;
                }
            }
        }
    }

    private static LogRecord record(String producer, long seq) {
        return LogRecord.builder().level(Level.INFO).service("rot").host("h").message(WireFrames.message(producer, seq)).build();
    }

    private static void add(Map<String, List<Long>> out, String message) {
        Matcher m = MARKER.matcher(message);
        if (m.find()) {
            out.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(Long.parseLong(m.group(2)));
        }
    }

    private static Map<String, List<Long>> parse(String text) {
        Map<String, List<Long>> out = new HashMap<>();
        for (String line : text.split("\n")) {
            add(out, line);
        }
        return out;
    }

    private static boolean lastSeqsPrinted(String text) {
        for (int p = 0; p < PRODUCERS; p++) {
            if (!text.contains("Pt" + p + " S" + (PER_PRODUCER - 1) + " ")) {
                return false;
            }
        }
        return true;
    }

    private static List<Long> range(int n) {
        List<Long> l = new ArrayList<>(n);
        for (long i = 0; i < n; i++) {
            l.add(i);
        }
        return l;
    }

    private static long segmentFiles(Path data) throws IOException {
        try (Stream<Path> s = Files.list(data)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".cq4")).count();
        }
    }
}
