package dev.logpipe.filesink;

import dev.logpipe.testsupport.MutableClock;
import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.internal.scan.SegmentScanner;
import dev.logpipe.runtime.TaskRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A writer (re)started on a journal whose last segment is later than the clock: after a crash that
 * left an unfinished record (the writer then starts in the next cycle's segment), or after the
 * system clock stepped back across a cycle boundary. Chronicle appends to the clock's cycle; if that
 * is earlier than the last segment it finds an end-of-cycle marker there and fails every append
 * ({@code WriteAfterEOFException}). The writer must keep appending after the last record instead.
 */
class WriterRestartTest {

    private static TaskRuntime runtime;

    @TempDir
    Path dir;

    @BeforeAll
    static void startRuntime() {
        runtime = TaskRuntime.builder().workerThreads(1).maxBlockingThreads(2).threadNamePrefix("restart").build();
    }

    @AfterAll
    static void stopRuntime() {
        runtime.shutdown(Duration.ofSeconds(5));
    }

    /** Starts a sink at {@code clock}, appends records {@code from..to-1} (each received at BASE + n ms), stops it. */
    private WriterReport append(MutableClock clock, long from, long to) throws Exception {
        FileSink sink = FileSink.builder(dir).runtime(runtime).rollCycle(RollCycle.MINUTELY).timeProvider(clock)
                .prefaultPages(false).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        List<AppendRequest> reqs = new ArrayList<>();
        for (long n = from; n < to; n++) {
            AppendRequest r = AppendRequest.withReceipt(Journals.timed(n));
            reqs.add(r);
            ch.sender().blockingSend(r);
        }
        ch.sender().close();
        WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        for (AppendRequest r : reqs) {
            assertTrue(r.written().toCompletableFuture().isDone() && !r.written().toCompletableFuture()
                    .isCompletedExceptionally(), "record stored: " + report);
        }
        return report;
    }

    private List<Long> readAll() {
        List<Long> out = new ArrayList<>();
        try (JournalReader r = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                out.add(TestRecords.numberOf(rr.record()));
            }
        }
        return out;
    }

    private static List<Long> range(long to) {
        List<Long> out = new ArrayList<>();
        for (long n = 0; n < to; n++) {
            out.add(n);
        }
        return out;
    }

    private Path lastSegment() throws Exception {
        TreeSet<Path> segs = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.cq4")) {
            ds.forEach(segs::add);
        }
        return segs.last();
    }

    /**
     * What a writer killed in the middle of an append leaves: the next excerpt's header still zero,
     * part of the record's bytes after it.
     */
    private void leaveUnfinishedRecord() throws Exception {
        Path seg = lastSegment();
        long end;
        try (SegmentScanner sc = new SegmentScanner(seg, 0, Long.MAX_VALUE)) {
            SegmentScanner.Step st;
            while (!((st = sc.next(false)) instanceof SegmentScanner.End)) {
                assertTrue(st instanceof SegmentScanner.Rec, st.toString());
            }
            end = ((SegmentScanner.End) st).position();
        }
        byte[] partial = new byte[40];
        for (int i = 0; i < partial.length; i++) {
            partial[i] = (byte) (i + 1);
        }
        DamagedJournals.write(seg, end + 4, partial);
    }

    @Test
    void restartsAfterAnUnfinishedRecordTwiceInTheSameMinute() throws Exception {
        MutableClock clock = new MutableClock(Journals.BASE.plusSeconds(10));
        append(clock, 0, 10);
        leaveUnfinishedRecord();
        append(clock, 10, 20); // goes to the next minute's segment, ahead of the clock
        leaveUnfinishedRecord();
        append(clock, 20, 30);
        append(clock, 30, 40); // and once more with a clean tail, still ahead of the clock
        assertEquals(range(40), readAll());
        clock.set(Journals.BASE.plus(Duration.ofMinutes(5)));
        append(clock, 40, 45); // once the clock passes the journal, segments follow the clock again
        assertEquals(range(45), readAll());
        VerifyReport v = JournalVerifier.verify(dir);
        assertTrue(v.ok(), v.toString()); // an unfinished record behind an end marker is no damage
        assertEquals(45, v.records());
    }

    @Test
    void restartsWithTheClockSteppedBackAcrossACycle() throws Exception {
        MutableClock clock = new MutableClock(Journals.BASE.plus(Duration.ofMinutes(3)));
        append(clock, 0, 10);
        clock.set(Journals.BASE.plus(Duration.ofMinutes(1))); // NTP stepped the clock back two minutes
        append(clock, 10, 20);
        assertEquals(range(20), readAll());
        VerifyReport v = JournalVerifier.verify(dir);
        assertTrue(v.ok(), v.toString());
        assertEquals(20, v.records());
    }

    @Test
    void keepsAppendingWhenTheClockStepsBackWhileRunning() throws Exception {
        MutableClock clock = new MutableClock(Journals.BASE.plus(Duration.ofMinutes(3)));
        FileSink sink = FileSink.builder(dir).runtime(runtime).rollCycle(RollCycle.MINUTELY).timeProvider(clock)
                .prefaultPages(false).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        List<AppendRequest> reqs = new ArrayList<>();
        for (long n = 0; n < 20; n++) {
            if (n == 10) {
                reqs.get(9).written().toCompletableFuture().get(10, TimeUnit.SECONDS);
                clock.set(Journals.BASE.plus(Duration.ofMinutes(1)));
            }
            AppendRequest r = AppendRequest.withReceipt(Journals.timed(n));
            reqs.add(r);
            ch.sender().blockingSend(r);
        }
        ch.sender().close();
        WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertTrue(report.clean(), report.toString());
        assertEquals(range(20), readAll());
        assertEquals(1, segmentCount());
    }

    private long segmentCount() throws Exception {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".cq4")).count();
        }
    }

    @Test
    void aSegmentFarAheadOfTheClockIsWhereWritingContinues() throws Exception {
        // a journal written while the clock was a day ahead: records keep their order after the fix
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T10:00:00Z"));
        append(clock, 0, 5);
        clock.set(Journals.BASE);
        append(clock, 5, 10);
        assertEquals(range(10), readAll());
    }
}
