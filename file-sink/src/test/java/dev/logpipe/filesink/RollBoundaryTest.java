package dev.logpipe.filesink;

import dev.logpipe.testsupport.MutableClock;
import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.WatchReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RollBoundaryTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final TestRuntime runtime = new TestRuntime();

    @Test
    void recordsStraddlingRollsAreAllReadBackInOrderByALiveReader() throws Exception {
        Instant t0 = Instant.parse("2026-11-25T17:58:59.500Z");
        MutableClock clock = new MutableClock(t0);
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).rollCycle(RollCycle.MINUTELY).timeProvider(clock)
                .syncInterval(Duration.ofMillis(10)).batchSize(16).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        WatchReceiver<Segment> segments = sink.segments();
        MpscSender<AppendRequest> tx = ch.sender();

        int perMinute = 700;
        int minutes = 3;
        int total = perMinute * minutes;
        // a live reader in another thread follows the journal across the rolls
        CompletableFuture<List<ReadRecord>> live = CompletableFuture.supplyAsync(() -> {
            List<ReadRecord> got = new ArrayList<>();
            try (JournalReader r = JournalReader.builder(dir).fromStart().build()) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                while (got.size() < total && System.nanoTime() < deadline) {
                    ReadRecord rr = r.poll(Duration.ofMillis(200));
                    if (rr != null) {
                        got.add(rr);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return got;
        });
        Set<Integer> cyclesSeen = new HashSet<>();
        for (int m = 0; m < minutes; m++) {
            for (int i = 0; i < perMinute; i++) {
                AppendRequest req = AppendRequest.of(TestRecords.record((long) m * perMinute + i));
                assertTrue(tx.blockingSend(req).isSent());
            }
            // the writer may still be appending this minute's records when the clock moves on: the
            // roll happens mid-stream, between two records of one burst
            clock.set(t0.plus(Duration.ofMinutes(m + 1)));
        }
        tx.close();
        WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertTrue(report.clean(), report.toString());
        Segment last = segments.borrowAndUpdate();
        cyclesSeen.add(last.cycle());

        List<ReadRecord> back = new ArrayList<>();
        try (JournalReader r = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                back.add(rr);
            }
        }
        assertEquals(total, back.size());
        Set<Integer> cycles = new HashSet<>();
        for (int i = 0; i < total; i++) {
            assertEquals(i, TestRecords.numberOf(back.get(i).record()), "order across rolls");
            cycles.add((int) (back.get(i).index() >>> 32));
        }
        assertTrue(cycles.size() >= 2, "records span several segments: " + cycles);
        assertTrue(sink.stats().rolls() >= 1, "rolls counted: " + sink.stats());
        assertEquals(RollCycle.MINUTELY, RollCycle.valueOf("MINUTELY"));
        assertTrue(last.file().getFileName().toString().endsWith("LM.cq4"), last.toString());

        List<ReadRecord> followed = live.get(45, TimeUnit.SECONDS);
        assertEquals(total, followed.size(), "live reader got every record once");
        for (int i = 0; i < total; i++) {
            assertEquals(back.get(i), followed.get(i));
        }
    }
}
