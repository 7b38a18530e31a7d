package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.internal.queue.ClockTimeProvider;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import dev.logpipe.testsupport.MutableClock;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal whose newest segment holds no record yet (the writer has just rolled into it, or
 * crashed right after), long after the segment before it. Chronicle's {@code toEnd()} and
 * {@code lastIndex()} then recurse once per cycle number in the gap: with MINUTELY segments and a
 * gap of days, {@code StackOverflowError} in {@code tail} and in the writer's restart.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmptyLastSegmentTest {

    static final Instant T0 = Instant.parse("2026-01-05T10:00:00Z");
    /** 100 days of MINUTELY cycles after the records: 144,000 cycle numbers with no segment. */
    static final Instant T1 = T0.plus(Duration.ofDays(100));

    @TempDir
    Path dir;

    @RegisterExtension
    final TestRuntime runtime = new TestRuntime();

    @BeforeEach
    void journalWithAnEmptyNewestSegment() throws Exception {
        write(new MutableClock(T0), 0, 20);
        emptySegment(dir, T1);
        assertEquals(2, JournalQueues.listSegments(dir, RollCycle.MINUTELY).size(), "two segments on disk");
    }

    /** Creates the segment of {@code time}'s cycle as the writer does when it rolls into it, with no excerpt in it. */
    private static void emptySegment(Path dir, Instant time) {
        try (SingleChronicleQueue q = JournalQueues.openForWrite(dir, RollCycle.MINUTELY,
                new ClockTimeProvider(new MutableClock(time)));
             ExcerptAppender a = q.createAppender()) {
            try (DocumentContext dc = a.writingDocument()) {
                dc.rollbackOnClose();
            }
        }
    }

    private void write(MutableClock clock, long from, long to) throws Exception {
        write(dir, clock, from, to);
    }

    private void write(Path dir, MutableClock clock, long from, long to) throws Exception {
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).rollCycle(RollCycle.MINUTELY).timeProvider(clock)
                .syncInterval(Duration.ofMillis(10)).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        for (long n = from; n < to; n++) {
            assertTrue(ch.sender().blockingSend(AppendRequest.of(TestRecords.record(n))).isSent());
        }
        ch.sender().close();
        WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertTrue(report.clean(), report.toString());
    }

    private static List<Long> numbers(JournalReader r) {
        List<Long> out = new ArrayList<>();
        for (ReadRecord rr; (rr = r.next()) != null; ) {
            out.add(TestRecords.numberOf(rr.record()));
        }
        return out;
    }

    @Test
    void theLastRecordsAreFoundBeforeTheEmptySegment() {
        try (JournalReader r = JournalReader.builder(dir).fromLast(3).build()) {
            assertEquals(List.of(17L, 18L, 19L), numbers(r));
        }
    }

    @Test
    void aReaderFromTheEndWaitsForTheNextRecord() throws Exception {
        try (JournalReader r = JournalReader.builder(dir).fromEnd().build()) {
            assertNull(r.next());
            write(new MutableClock(T1), 20, 23);
            assertEquals(List.of(20L, 21L, 22L), numbers(r));
        }
    }

    @Test
    void theWriterRestartsAfterItAndEveryRecordReadsBackInOrder() throws Exception {
        write(new MutableClock(T1.plusSeconds(1)), 20, 25);
        try (JournalReader r = JournalReader.builder(dir).fromStart().build()) {
            List<Long> all = numbers(r);
            assertEquals(25, all.size(), all.toString());
            for (int i = 0; i < all.size(); i++) {
                assertEquals(i, all.get(i));
            }
        }
        try (JournalReader r = JournalReader.builder(dir).fromLast(2).build()) {
            assertEquals(List.of(23L, 24L), numbers(r));
        }
    }

    @Test
    void recordsAfterAnIndexAreCounted() {
        try (JournalReader r = JournalReader.builder(dir).fromStart().build()) {
            assertEquals(20, r.recordsAfter(-1));
        }
    }

    @Test
    void verifyFindsNoDamage() {
        VerifyReport report = JournalVerifier.verify(dir);
        assertTrue(report.ok(), report.toString());
        assertEquals(20, report.records());
        assertEquals(2, report.segments());
    }

    @Test
    void aReaderFromATimeAfterTheLastRecordWaitsAtTheEnd() throws Exception {
        // TestRecords' receive times are in 2023: every record is before this time
        try (JournalReader r = JournalReader.builder(dir).fromTime(T0.plus(Duration.ofDays(1))).build()) {
            assertNull(r.next());
            write(new MutableClock(T1), 20, 22);
            assertEquals(List.of(20L, 21L), numbers(r));
        }
    }

    @Test
    void aReaderFromTheStartOfAJournalWhoseOnlySegmentIsEmptyFollowsThroughChronicle(@TempDir Path fresh)
            throws Exception {
        // serve's first segment before its first record: a reader from the start (tail -f --from-start,
        // forward kafka on a new journal) read it byte by byte, at ~10 µs of CPU a record, seconds behind
        write(fresh, new MutableClock(T0), 0, 0);
        emptySegment(fresh, T0);
        assertEquals(1, JournalQueues.listSegments(fresh, RollCycle.MINUTELY).size());
        try (JournalReader r = JournalReader.builder(fresh).fromStart().build()) {
            assertNull(r.next());
            assertFalse(r.readsBytes(), "on Chronicle's tailer");
            write(fresh, new MutableClock(T0), 0, 5);
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), numbers(r));
            assertFalse(r.readsBytes(), "still on Chronicle's tailer");
        }
    }

    @Test
    void anEmptySegmentBetweenTwoIsPassedOverOnChroniclesTailer(@TempDir Path fresh) throws Exception {
        // a writer that died just after rolling, restarted minutes later: the empty segment stays between
        write(fresh, new MutableClock(T0), 0, 3);
        emptySegment(fresh, T1);
        emptySegment(fresh, T0.plusSeconds(60)); // and one right after the first, before a reader opens
        try (JournalReader r = JournalReader.builder(fresh).fromStart().build()) {
            assertEquals(List.of(0L, 1L, 2L), numbers(r));
            write(fresh, new MutableClock(T1.plus(Duration.ofMinutes(5))), 3, 6);
            assertEquals(List.of(3L, 4L, 5L), numbers(r));
            assertFalse(r.readsBytes());
        }
        try (JournalReader r = JournalReader.builder(fresh).fromStart().build()) {
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), numbers(r));
        }
        assertTrue(JournalVerifier.verify(fresh).ok());
    }

    @Test
    void aReaderOpenedOnANewJournalBeforeItsFirstRecordFollowsThroughChronicle(@TempDir Path fresh) throws Exception {
        MutableClock clock = new MutableClock(T0);
        FileSink sink = FileSink.builder(fresh).runtime(runtime.get()).rollCycle(RollCycle.HOURLY).timeProvider(clock)
                .syncInterval(Duration.ofMillis(10)).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        try (JournalReader r = JournalReader.builder(fresh).fromStart().build()) {
            assertEquals(List.of(), JournalQueues.listSegments(fresh, RollCycle.HOURLY), "no segment before the first record");
            // the reader waits first, as a follower started with the server does (at 300 ms the tailer
            // still found the first segment; after a second of nothing it did not, and the reader went
            // byte by byte for good: ~10 µs of CPU a record, seconds behind at 100 k records/s)
            assertNull(r.poll(Duration.ofMillis(1500)));
            for (long n = 0; n < 50; n++) {
                assertTrue(ch.sender().blockingSend(AppendRequest.of(TestRecords.record(n))).isSent());
            }
            List<Long> got = new ArrayList<>();
            while (got.size() < 50) {
                ReadRecord rr = r.poll(Duration.ofSeconds(10));
                assertTrue(rr != null, "record " + got.size() + " arrives");
                got.add(TestRecords.numberOf(rr.record()));
                assertFalse(r.readsBytes(), "on Chronicle's tailer at record " + got.size());
            }
            assertEquals(50, got.size());
        } finally {
            ch.sender().close();
            sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
