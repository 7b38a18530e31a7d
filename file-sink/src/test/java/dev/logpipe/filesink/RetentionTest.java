package dev.logpipe.filesink;

import dev.logpipe.testsupport.MutableClock;
import dev.logpipe.channels.Mpsc;
import dev.logpipe.runtime.TaskRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetentionTest {

    static final int SEGMENTS = 4;
    static final int PER_SEGMENT = 1_000;

    @TempDir
    Path dir;

    TaskRuntime runtime;
    final List<String> deletions = new CopyOnWriteArrayList<>();
    final SinkListener listener = new SinkListener() {
        @Override
        public void onRetentionDelete(Path file, long bytes, boolean forcedByHardLimit) {
            deletions.add(file.getFileName() + (forcedByHardLimit ? " forced" : ""));
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        runtime = TaskRuntime.builder().workerThreads(2).maxBlockingThreads(4).threadNamePrefix("test").build();
        Journals.write(dir, runtime, SEGMENTS, PER_SEGMENT, SinkListener.NOOP);
    }

    @AfterEach
    void tearDown() {
        runtime.shutdown(Duration.ofSeconds(5));
    }

    private List<Path> segments() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".cq4")).sorted().toList();
        }
    }

    /** Opens a writer 10 minutes after the journal's records, runs one retention pass, closes it. */
    private FileSink retain(UnaryOperator<FileSink.Builder> config) throws Exception {
        MutableClock clock = new MutableClock(Journals.BASE.plus(Duration.ofMinutes(10)));
        FileSink sink = config.apply(FileSink.builder(dir).runtime(runtime).rollCycle(RollCycle.MINUTELY)
                .timeProvider(clock).listener(listener)).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(8);
        sink.start(ch.receiver());
        sink.runRetention().toCompletableFuture().get(20, TimeUnit.SECONDS);
        ch.sender().close();
        sink.close();
        return sink;
    }

    private long firstRecordLeft() {
        try (JournalReader r = JournalReader.open(dir)) {
            return TestRecords.numberOf(r.next().record());
        }
    }

    private void readUpTo(String name, long lastNumber) {
        try (JournalReader r = JournalReader.builder(dir).named(name).build()) {
            ReadRecord rr;
            do {
                rr = r.next();
            } while (TestRecords.numberOf(rr.record()) < lastNumber);
        }
    }

    @Test
    void deletesOldSegmentsButNeverTheOneBeingWritten() throws Exception {
        List<Path> before = segments();
        assertEquals(SEGMENTS, before.size());
        FileSink sink = retain(b -> b.retentionMaxAge(Duration.ofMinutes(1)));
        List<Path> after = segments();
        assertEquals(List.of(before.get(SEGMENTS - 1)), after, "only the current segment is left");
        assertEquals(3, sink.stats().retentionDeletedSegments());
        assertEquals(0, sink.stats().retentionForcedDeletes());
        assertEquals(3, deletions.size());
        assertEquals((SEGMENTS - 1) * PER_SEGMENT, firstRecordLeft());
        assertTrue(JournalVerifier.verify(dir).ok());
    }

    @Test
    void keepsWhatANamedReaderHasNotFinishedThenDeletesItOnceRead() throws Exception {
        readUpTo("slow", PER_SEGMENT + 500); // finished segment 0, half way through segment 1
        retain(b -> b.retentionMaxAge(Duration.ofMinutes(1)));
        assertEquals(SEGMENTS - 1, segments().size(), "segment 0 deleted, 1 kept for the reader, 2 kept behind it");
        assertEquals(PER_SEGMENT, firstRecordLeft());

        // the reader resumes where it was, in the kept segment, and moves into segment 2
        try (JournalReader r = JournalReader.builder(dir).named("slow").build()) {
            assertEquals(PER_SEGMENT + 501, TestRecords.numberOf(r.next().record()));
        }
        readUpTo("slow", 2L * PER_SEGMENT + 1);
        retain(b -> b.retentionMaxAge(Duration.ofMinutes(1)));
        assertEquals(SEGMENTS - 2, segments().size());
        assertEquals(2L * PER_SEGMENT, firstRecordLeft());
        assertTrue(deletions.stream().noneMatch(d -> d.endsWith("forced")), deletions.toString());
    }

    @Test
    void bytesLimitYieldsToReadersButTheHardLimitDoesNot() throws Exception {
        try (JournalReader r = JournalReader.builder(dir).named("idle").build()) {
            assertTrue(r.index() >= 0); // registered, has read nothing
        }
        retain(b -> b.retentionMaxBytes(1));
        assertEquals(SEGMENTS, segments().size(), "the soft limit keeps unread data");

        FileSink sink = retain(b -> b.retentionMaxBytes(1).retentionHardMaxBytes(1));
        assertEquals(1, segments().size(), "the hard limit deletes all but the segment being written");
        assertEquals(SEGMENTS - 1, sink.stats().retentionForcedDeletes());
        assertEquals(SEGMENTS - 1, deletions.stream().filter(d -> d.endsWith("forced")).count(), deletions.toString());
        // the reader's data is gone: it resumes at the oldest record left
        try (JournalReader r = JournalReader.builder(dir).named("idle").build()) {
            assertEquals((SEGMENTS - 1L) * PER_SEGMENT, TestRecords.numberOf(r.next().record()));
        }
    }

    @Test
    void bytesCountWhatSegmentsUseNotTheirSparseFileSize() throws Exception {
        long fileSize = Files.size(segments().get(0));
        FileSink sink = retain(b -> b.retentionMaxBytes(1));
        long deleted = sink.stats().retentionDeletedBytes();
        assertEquals(SEGMENTS - 1, sink.stats().retentionDeletedSegments());
        // 1000 records of ~50 bytes each: well under a MiB per segment, though each file says ~25 MiB
        // (a 20 MiB mapping piece and its 5 MiB overlap)
        assertTrue(deleted > (SEGMENTS - 1) * PER_SEGMENT * 40L && deleted < (SEGMENTS - 1) * (2L << 20),
                "deleted " + deleted + " bytes; file size " + fileSize);
        assertTrue(fileSize >= 20L << 20, "the files really are sparse and large: " + fileSize);
        VerifyReport v = JournalVerifier.verify(dir);
        assertTrue(v.segmentBytes() < 2L << 20, v.toString());
    }

    @Test
    void aReaderThatCommitsKeepsWhatItReadAheadButDidNotCommit() throws Exception {
        long committedIndex;
        try (JournalReader r = JournalReader.builder(dir).namedWithCommits("fwd").fromStart().build()) {
            ReadRecord rr;
            long committed = -1;
            // read ahead into the last segment; commit only up to record PER_SEGMENT + 10 (in segment 1)
            do {
                rr = r.next();
                if (TestRecords.numberOf(rr.record()) == PER_SEGMENT + 10) {
                    committed = rr.index();
                }
            } while (TestRecords.numberOf(rr.record()) < (SEGMENTS - 1L) * PER_SEGMENT + 5);
            r.commit(committed);
            committedIndex = committed;
        }
        assertEquals(committedIndex, JournalReader.savedPosition(dir, "fwd").orElseThrow());
        retain(b -> b.retentionMaxAge(Duration.ofMinutes(1)));
        assertEquals(SEGMENTS - 1, segments().size(), "segment 0 deleted; 1 holds the commit, kept with all after it");
        assertEquals(PER_SEGMENT, firstRecordLeft());

        // the start applies every time (not the saved position), and is saved as the new position
        try (JournalReader r = JournalReader.builder(dir).namedWithCommits("fwd").fromIndex(committedIndex + 1).build()) {
            assertEquals(PER_SEGMENT + 11, TestRecords.numberOf(r.next().record()));
            assertEquals(committedIndex, JournalReader.savedPosition(dir, "fwd").orElseThrow(),
                    "reading does not move the position");
            ReadRecord rr;
            do {
                rr = r.next();
            } while (TestRecords.numberOf(rr.record()) < 2L * PER_SEGMENT + 1);
            r.commit(rr.index());
        }
        retain(b -> b.retentionMaxAge(Duration.ofMinutes(1)));
        assertEquals(SEGMENTS - 2, segments().size());
        assertEquals(2L * PER_SEGMENT, firstRecordLeft());
        assertTrue(deletions.stream().noneMatch(d -> d.endsWith("forced")), deletions.toString());
    }

    @Test
    void aCommittingReaderOpenedAtTheEndHoldsNothingBehindIt() throws Exception {
        try (JournalReader r = JournalReader.builder(dir).namedWithCommits("fwd").fromEnd().build()) {
            assertNull(r.next());
        }
        retain(b -> b.retentionMaxAge(Duration.ofMinutes(1)));
        assertEquals(1, segments().size(), "nothing before its start is kept for it");
    }
}
