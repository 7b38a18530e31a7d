package dev.logpipe.filesink;

import dev.logpipe.runtime.TaskRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JournalReaderTest {

    static final int SEGMENTS = 4;
    static final int PER_SEGMENT = 2_500;
    static final int TOTAL = SEGMENTS * PER_SEGMENT;

    @TempDir
    Path dir;

    TaskRuntime runtime;

    @BeforeEach
    void setUp() throws Exception {
        runtime = TaskRuntime.builder().workerThreads(2).maxBlockingThreads(4).threadNamePrefix("test").build();
        Journals.write(dir, runtime, SEGMENTS, PER_SEGMENT, SinkListener.NOOP);
    }

    @AfterEach
    void tearDown() {
        runtime.shutdown(Duration.ofSeconds(5));
    }

    private static long n(ReadRecord r) {
        return TestRecords.numberOf(r.record());
    }

    @Test
    void fromTimeLandsOnTheFirstRecordAtOrAfterIt() {
        long[] targets = {0, 1, 2_499, 2_500, 2_501, 4_999, 5_000, 7_777, TOTAL - 1};
        for (long target : targets) {
            try (JournalReader r = JournalReader.builder(dir).fromTime(Journals.BASE.plusMillis(target)).build()) {
                ReadRecord rr = r.next();
                assertEquals(target, n(rr), "exact time " + target);
            }
            // a time between two records lands on the later one
            try (JournalReader r = JournalReader.builder(dir)
                    .fromTime(Journals.BASE.plusMillis(target).minusNanos(1)).build()) {
                assertEquals(target, n(r.next()), "just before " + target);
            }
        }
        try (JournalReader r = JournalReader.builder(dir).fromTime(Journals.BASE.minusSeconds(3600)).build()) {
            assertEquals(0, n(r.next()), "before everything: the first record");
        }
        try (JournalReader r = JournalReader.builder(dir).fromTime(Journals.BASE.plusMillis(TOTAL)).build()) {
            assertNull(r.next(), "after everything: nothing yet");
        }
    }

    @Test
    void fromIndexAndFromLast() {
        List<ReadRecord> all = new ArrayList<>();
        try (JournalReader r = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                all.add(rr);
            }
        }
        assertEquals(TOTAL, all.size());
        ReadRecord mid = all.get(PER_SEGMENT + 17);
        try (JournalReader r = JournalReader.builder(dir).fromIndex(mid.index()).build()) {
            assertEquals(mid, r.next());
            assertEquals(all.get(PER_SEGMENT + 18), r.next());
        }
        try (JournalReader r = JournalReader.builder(dir).fromLast(10).build()) {
            for (int i = TOTAL - 10; i < TOTAL; i++) {
                assertEquals(all.get(i), r.next());
            }
            assertNull(r.next());
        }
    }

    @Test
    void namedReaderResumesAfterReopen() {
        try (JournalReader r = JournalReader.builder(dir).named("indexer").build()) {
            assertEquals(-1, r.resumedAfter(), "first run: the builder's start applies");
            for (int i = 0; i < 3_000; i++) {
                assertEquals(i, n(r.next()));
            }
        }
        // the start given on the builder only applies the first time
        long lastIndexRead;
        try (JournalReader r = JournalReader.builder(dir).fromIndex(0).build()) {
            ReadRecord rr = null;
            for (int i = 0; i < 3_000; i++) {
                rr = r.next();
            }
            lastIndexRead = rr.index();
            assertEquals(-1, r.resumedAfter(), "an unnamed reader never resumes");
        }
        try (JournalReader r = JournalReader.builder(dir).named("indexer").fromEnd().build()) {
            assertEquals(lastIndexRead, r.resumedAfter(), "resumed after the last record returned");
            for (int i = 3_000; i < TOTAL; i++) {
                assertEquals(i, n(r.next()), "resumed without loss or duplicate");
            }
            assertNull(r.next());
        }
        try (JournalReader other = JournalReader.builder(dir).named("other").build()) {
            assertEquals(0, n(other.next()), "names are independent");
        }
        assertThrows(IllegalArgumentException.class, () -> JournalReader.builder(dir).named("../x"));
    }

    @Test
    void aNamedReaderIsOpenOnceAtATime() throws Exception {
        try (JournalReader r = JournalReader.builder(dir).named("one").build()) {
            assertEquals(0, n(r.next()));
            ReaderInUseException e = assertThrows(ReaderInUseException.class,
                    () -> JournalReader.builder(dir).named("one").build());
            assertTrue(e.getMessage().contains("reader 'one' is in use"), e.getMessage());
            // another process: the lock is the operating system's
            Process p = new ProcessBuilder(java.nio.file.Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), LockProbeMain.class.getName(),
                    dir.resolve("readers").resolve("one.lock").toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            assertEquals(0, p.waitFor());
            assertEquals("locked", out, "seen from another process");
            try (JournalReader other = JournalReader.builder(dir).named("two").build()) {
                assertEquals(0, n(other.next()), "other names are independent");
            }
        }
        try (JournalReader again = JournalReader.builder(dir).named("one").build()) {
            assertEquals(1, n(again.next()), "free once the first closed, resuming after it");
        }
    }

    @Test
    void recordsAfterCountsWhatIsLeftAcrossSegments() {
        try (JournalReader r = JournalReader.open(dir)) {
            assertEquals(TOTAL, r.recordsAfter(-1));
            List<Long> indexes = new ArrayList<>();
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                indexes.add(rr.index());
            }
            assertEquals(TOTAL, indexes.size());
            for (int k : new int[] {0, 1, PER_SEGMENT - 1, PER_SEGMENT, PER_SEGMENT + 7, 3 * PER_SEGMENT - 1, TOTAL - 2}) {
                assertEquals(TOTAL - 1 - k, r.recordsAfter(indexes.get(k)), "after record " + k);
            }
            assertEquals(0, r.recordsAfter(indexes.get(TOTAL - 1)));
        }
    }

    @Test
    void aCommittingReaderSavesOnlyWhatItCommits() {
        assertTrue(JournalReader.savedPosition(dir, "fwd").isEmpty());
        long third;
        try (JournalReader r = JournalReader.builder(dir).namedWithCommits("fwd").fromStart().build()) {
            assertEquals(-1, JournalReader.savedPosition(dir, "fwd").orElseThrow(), "registered at the start");
            r.next();
            r.next();
            third = r.next().index();
            for (int i = 0; i < 100; i++) {
                r.next();
            }
            assertEquals(-1, JournalReader.savedPosition(dir, "fwd").orElseThrow(), "reading saves nothing");
            r.commit(third);
            assertEquals(third, JournalReader.savedPosition(dir, "fwd").orElseThrow());
        }
        // the builder's start applies, not the saved position
        try (JournalReader r = JournalReader.builder(dir).namedWithCommits("fwd").fromStart().build()) {
            assertEquals(0, n(r.next()));
            assertEquals(-1, r.resumedAfter());
        }
        try (JournalReader r = JournalReader.builder(dir).named("plain").build()) {
            r.next();
            assertThrows(IllegalStateException.class, () -> r.commit(0));
        }
    }

    @Test
    void verifierReportsASoundJournal() {
        VerifyReport v = JournalVerifier.verify(dir);
        assertTrue(v.ok(), v.toString());
        assertEquals(TOTAL, v.records());
        assertEquals(SEGMENTS, v.segments());
        assertEquals(Journals.BASE, v.firstReceiveTime());
        assertEquals(Journals.BASE.plusMillis(TOTAL - 1), v.lastReceiveTime());
        assertEquals(0, v.outOfOrderTimes());
    }

    @Test
    void verifierFindsADamagedRecord() throws Exception {
        // overwrite the layout version byte of one record body in the second segment with 0x7F
        Path seg = Files.list(dir).filter(p -> p.toString().endsWith(".cq4")).sorted().skip(1).findFirst().orElseThrow();
        byte[] b = new byte[4 << 20]; // the records sit in the first MiB of the (sparse, 80 MiB) file
        try (var ch = java.nio.channels.FileChannel.open(seg, java.nio.file.StandardOpenOption.READ)) {
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
            while (bb.hasRemaining() && ch.read(bb) > 0) {
                // read the head of the file
            }
        }
        byte[] marker = "m2600".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int at = indexOf(b, marker);
        assertTrue(at > 0);
        // the record starts with version 2, level 0, format EMBEDDED(4), no syslog: 02 00 04 00
        int start = lastIndexOf(b, new byte[]{2, 0, 4, 0}, at);
        assertTrue(start > 0);
        try (var ch = java.nio.channels.FileChannel.open(seg, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[]{0x7F}), start);
        }
        VerifyReport v = JournalVerifier.verify(dir);
        assertEquals(1, v.damage().size(), v.toString());
        assertEquals(TOTAL - 1, v.records());
        assertTrue(v.damage().get(0).problem().contains("first byte 127"), v.toString());
        assertEquals(VerifyReport.Kind.RECORD, v.damage().get(0).kind(), v.toString());
        assertEquals(v.damage().get(0).firstIndex(), v.damage().get(0).lastIndex(), v.toString());
        // a reader reports it, where and which index, and moves on
        try (JournalReader r = JournalReader.builder(dir).fromTime(Journals.BASE.plusMillis(2_599)).build()) {
            ReadRecord before = r.next();
            assertEquals(2_599, n(before));
            JournalDamageException e = assertThrows(JournalDamageException.class, r::next);
            assertEquals(seg.getFileName(), e.segment().getFileName());
            assertEquals(before.index() + 1, e.firstIndex(), e.getMessage());
            assertEquals(before.index() + 1, e.lastIndex(), e.getMessage());
            assertTrue(e.getMessage().contains("first byte 127"), e.getMessage());
            assertEquals(2_601, n(r.next()));
        }
    }

    private static int indexOf(byte[] h, byte[] n) {
        outer:
        for (int i = 0; i + n.length <= h.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (h[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static int lastIndexOf(byte[] h, byte[] n, int before) {
        outer:
        for (int i = before - n.length; i >= 0; i--) {
            for (int j = 0; j < n.length; j++) {
                if (h[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
