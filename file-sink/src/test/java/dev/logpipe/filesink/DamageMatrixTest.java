package dev.logpipe.filesink;

import dev.logpipe.testsupport.MutableClock;
import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.DamagedJournals.Excerpt;
import dev.logpipe.filesink.VerifyReport.Kind;
import dev.logpipe.filesink.internal.codec.RecordCodec;
import net.openhft.chronicle.bytes.Bytes;
import dev.logpipe.runtime.TaskRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The damage matrix of issue 16 over copies of a real journal (3 segments, 49 records): for each kind
 * of damage, verify's verdict, what readers return from the start and for the last 10, the writer's
 * next records, and a repair to a clean journal.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DamageMatrixTest {

    @TempDir
    static Path tmp;

    static DamagedJournals journal;
    static final AtomicInteger COPIES = new AtomicInteger();

    /** One runtime for every writer the tests start (a sink's own would be built and shut down each time). */
    static TaskRuntime runtime;

    @BeforeAll
    static void writeJournal() throws Exception {
        journal = DamagedJournals.write(tmp.resolve("pristine"));
        runtime = TaskRuntime.builder().workerThreads(1).maxBlockingThreads(2).threadNamePrefix("damage-matrix").build();
    }

    @AfterAll
    static void stopRuntime() {
        runtime.shutdown(Duration.ofSeconds(5));
    }

    /** A damage applied to a copy, the record numbers it destroys, and the kind of damage verify must report. */
    record Case(String name, Damage damage, List<Long> lost, Kind kind) {
    }

    interface Damage {
        void apply(Path dir) throws Exception;
    }

    static Path copy() throws Exception {
        return journal.copyTo(tmp.resolve("copy-" + COPIES.incrementAndGet()));
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        List<Excerpt> s1 = journal.excerpts(1);
        Excerpt first1 = s1.get(0);
        Excerpt mid1 = s1.get(7);
        Excerpt last1 = s1.get(s1.size() - 1);
        cases.add(new Case("zero 100 bytes in the middle of a segment", d -> DamagedJournals.zero(journal.segment(d, 1),
                mid1.position() + 10, mid1.position() + 110), journal.hit(1, mid1.position() + 10, mid1.position() + 110), null));
        cases.add(new Case("zero the first record of a segment", d -> DamagedJournals.zero(journal.segment(d, 1),
                first1.position(), first1.end()), journal.hit(1, first1.position(), first1.end()), null));
        cases.add(new Case("zero the last record of a middle segment", d -> DamagedJournals.zero(journal.segment(d, 1),
                last1.position(), last1.end()), List.of(last1.n()), null));
        long across = mid1.end() - 6;
        cases.add(new Case("zero across a record boundary", d -> DamagedJournals.zero(journal.segment(d, 1),
                across, across + 12), journal.hit(1, across, across + 12), null));
        cases.add(new Case("overwrite one record's length header", d -> DamagedJournals.write(journal.segment(d, 1),
                mid1.position(), new byte[] {(byte) 0xFF, (byte) 0x7F, 0, 0}), List.of(mid1.n()), null));
        cases.add(new Case("flip a bit in a record's body", d -> DamagedJournals.flipBit(journal.segment(d, 1),
                mid1.position() + 40, 3), List.of(mid1.n()), Kind.RECORD));
        cases.add(new Case("flip the not-complete bit of a header", d -> DamagedJournals.flipBit(journal.segment(d, 1),
                mid1.position() + 3, 7), List.of(mid1.n()), null));
        // A bit flipped in the header of Chronicle's index array (the metadata excerpt before a segment's
        // first record): no record is damaged, but a walk that trusted the length lost every record after it.
        long meta1 = metadataAt(first1);
        cases.add(new Case("a metadata header claims more bytes than the file holds", d -> DamagedJournals.flipBit(
                journal.segment(d, 1), meta1 + 3, 5), List.of(), null));
        cases.add(new Case("a metadata header's length reaches into a record", d -> DamagedJournals.write(
                journal.segment(d, 1), meta1, DamagedJournals.le(0x4000_0000 | (int) (mid1.position() + 8 - meta1 - 4))),
                List.of(), null));
        cases.add(new Case("a metadata header's length reaches past the last record", d -> DamagedJournals.write(
                journal.segment(d, 1), meta1, DamagedJournals.le(0x4000_0000 | (int) (last1.end() + 64 - meta1 - 4))),
                List.of(), null));
        // Chronicle's readers step over an excerpt marked metadata: the damage must be reported, and the
        // record, which is intact, still read (also the segment's last one, where no index gap shows it)
        cases.add(new Case("flip the metadata bit of a record's header", d -> DamagedJournals.flipBit(
                journal.segment(d, 1), mid1.position() + 3, 6), List.of(), null));
        cases.add(new Case("a record's length grows by 1 MiB, within the file", d -> DamagedJournals.flipBit(
                journal.segment(d, 1), mid1.position() + 2, 4), List.of(mid1.n()), null));
        cases.add(new Case("a record's length claims more bytes than the file holds", d -> DamagedJournals.flipBit(
                journal.segment(d, 1), mid1.position() + 3, 4), List.of(mid1.n()), null));
        cases.add(new Case("flip the metadata bit of a segment's last record", d -> DamagedJournals.flipBit(
                journal.segment(d, 1), last1.position() + 3, 6), List.of(), null));
        List<Excerpt> s2 = journal.excerpts(2);
        Excerpt last = s2.get(s2.size() - 1);
        cases.add(new Case("zero the end of the last segment", d -> DamagedJournals.zero(journal.segment(d, 2),
                s2.get(13).position(), last.end()), journal.hit(2, s2.get(13).position(), last.end()), null));
        cases.add(new Case("delete the middle segment", d -> Files.delete(journal.segment(d, 1)),
                s1.stream().map(Excerpt::n).toList(), Kind.MISSING_SEGMENT));
        cases.add(new Case("random bytes instead of the middle segment",
                d -> DamagedJournals.randomBytes(journal.segment(d, 1), 64 << 10, 16),
                s1.stream().map(Excerpt::n).toList(), Kind.SEGMENT_FILE));
        cases.add(new Case("delete metadata.cq4t", d -> Files.delete(d.resolve("metadata.cq4t")), List.of(), Kind.METADATA));
        cases.add(new Case("garble metadata.cq4t", d -> DamagedJournals.randomBytes(d.resolve("metadata.cq4t"), 4096, 7),
                List.of(), Kind.METADATA));
        for (long t = last.position(); t <= last.end(); t++) {
            cases.add(truncation(last, t));
        }
        return cases;
    }

    private static long metadataAt(Excerpt first) {
        try {
            return journal.metadataBefore(first);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Case truncation(Excerpt last, long at) {
        return new Case("truncate the last segment at byte " + at + " (its last record is " + last.position() + ".."
                + last.dataEnd() + ")", d -> DamagedJournals.truncate(journal.segment(d, 2), at),
                at >= last.dataEnd() ? List.of() : List.of(last.n()), Kind.TRUNCATED);
    }

    /**
     * The cases for the slower checks (a writer, a repair): every named case, and truncations at the
     * start and inside of the last record's header, in the middle and at the last byte of its body, and
     * right after it. Verify and the readers are checked at every offset ({@link #cases()}).
     */
    static List<Case> sampledCases() {
        List<Excerpt> s2 = journal.excerpts(2);
        Excerpt last = s2.get(s2.size() - 1);
        List<Case> out = new ArrayList<>(cases().stream().filter(c -> !c.name().startsWith("truncate")).toList());
        for (long t : new long[] {last.position(), last.position() + 2, (last.position() + last.dataEnd()) / 2,
                last.dataEnd() - 1, last.dataEnd()}) {
            out.add(truncation(last, t));
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> verifyReportsTheDamageAndReadersReturnEveryUndamagedRecordOnce() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path d = copy();
            c.damage().apply(d);
            List<Long> expected = DamagedJournals.allBut(c.lost());

            VerifyReport v = JournalVerifier.verify(d);
            assertFalse(v.ok(), () -> "verify must find: " + c.name() + "\n" + v);
            assertEquals(expected.size(), v.records(), () -> v.toString());
            if (c.kind() != null) {
                assertTrue(v.damage().stream().anyMatch(x -> x.kind() == c.kind()), () -> "kind " + c.kind() + ": " + v);
            }
            for (VerifyReport.Damage x : v.damage()) {
                if (x.kind() != Kind.METADATA && x.kind() != Kind.MISSING_SEGMENT) {
                    assertTrue(x.segment() != null && x.position() >= 0, () -> "where: " + x);
                }
            }

            List<String> notes = new ArrayList<>();
            assertEquals(expected, readAll(JournalReader.builder(d).fromStart(), notes), () -> "from start; notes " + notes);
            if (!c.lost().isEmpty() && c.kind() != Kind.MISSING_SEGMENT) {
                assertFalse(notes.isEmpty(), "a note for the skipped damage");
            }
            assertEquals(expected, readAll(JournalReader.builder(d).fromTime(Journals.BASE), new ArrayList<>()), "from a time");
            assertEquals(expected, readAll(JournalReader.builder(d).fromIndex(journal.excerpts().get(0).index()),
                    new ArrayList<>()), "from an index");
            List<Long> last10 = expected.subList(expected.size() - 10, expected.size());
            assertEquals(last10, readAll(JournalReader.builder(d).fromLast(10), new ArrayList<>()), "last 10");
        }));
    }

    /**
     * A segment gone from the middle of the journal: a reader says so, once, and reads on. Chronicle's
     * tailer goes on to the next segment there is without a word (`tail` printed 18,000 of 30,000
     * records and nothing on stderr, an adversarial review found); the next segment's link names it.
     */
    @Test
    void aMissingMiddleSegmentIsReportedByReaders() throws Exception {
        Path d = copy();
        Files.delete(journal.segment(d, 1));
        List<String> notes = new ArrayList<>();
        List<Long> got = readAll(JournalReader.builder(d).fromStart(), notes);
        assertEquals(DamagedJournals.allBut(journal.excerpts(1).stream().map(Excerpt::n).toList()), got);
        assertEquals(1, notes.size(), notes.toString());
        assertTrue(notes.get(0).contains(journal.segmentName(1)) && notes.get(0).contains("segment is missing"),
                notes.get(0));
    }

    @TestFactory
    Stream<DynamicTest> theWriterNeverHidesRecordsWrittenAfterDamage() {
        return sampledCases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path d = copy();
            c.damage().apply(d);
            List<Long> expected = new ArrayList<>(DamagedJournals.allBut(c.lost()));
            // two records in the last segment's minute (appended to the damaged segment), two in the next minute
            MutableClock clock = new MutableClock(Journals.BASE.plus(Duration.ofMinutes(2)).plusSeconds(30));
            if (c.kind() == Kind.SEGMENT_FILE) {
                // a segment Chronicle cannot open: the writer refuses (Chronicle would set it aside, or fail on
                // it), and starts once a repair has made the journal sound
                FileSink refused = FileSink.builder(d).runtime(runtime).rollCycle(RollCycle.MINUTELY).timeProvider(clock)
                        .prefaultPages(false).build();
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> refused.start(Mpsc.<AppendRequest>bounded(16).receiver()));
                assertTrue(e.getMessage().contains("repair"), e.getMessage());
                JournalRepair.inPlace(d);
            }
            FileSink sink = FileSink.builder(d).runtime(runtime).rollCycle(RollCycle.MINUTELY).timeProvider(clock)
                    .prefaultPages(false).build();
            Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(16);
            sink.start(ch.receiver());
            for (long n = 1000; n < 1004; n++) {
                if (n == 1002) {
                    clock.set(Journals.BASE.plus(Duration.ofMinutes(3)));
                }
                AppendRequest r = AppendRequest.withReceipt(Journals.timed(n));
                ch.sender().blockingSend(r);
                r.written().toCompletableFuture().get(10, TimeUnit.SECONDS);
                expected.add(n);
            }
            ch.sender().close();
            WriterReport w = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(null, w.error());
            assertEquals(expected, readAll(JournalReader.builder(d).fromStart(), new ArrayList<>()), "from start after writing");
            assertEquals(expected.subList(expected.size() - 10, expected.size()),
                    readAll(JournalReader.builder(d).fromLast(10), new ArrayList<>()), "last 10 after writing");
        }));
    }

    @TestFactory
    Stream<DynamicTest> repairWritesEveryReadableRecordToACleanJournal() {
        return sampledCases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path d = copy();
            c.damage().apply(d);
            Path out = d.resolveSibling(d.getFileName() + "-repaired");
            JournalRepair.Report r = JournalRepair.copy(d, out);
            List<Long> expected = DamagedJournals.allBut(c.lost());
            assertTrue(r.after().ok(), () -> r.after().toString());
            assertFalse(r.before().ok());
            assertEquals(expected.size(), r.records());
            List<Long> got = new ArrayList<>();
            List<ReadRecord> records = new ArrayList<>();
            try (JournalReader reader = JournalReader.open(out)) {
                for (ReadRecord rr; (rr = reader.next()) != null; ) {
                    got.add(TestRecords.numberOf(rr.record()));
                    records.add(rr);
                }
            }
            assertEquals(expected, got);
            for (ReadRecord rr : records) {
                assertEquals(Journals.timed(TestRecords.numberOf(rr.record())).receiveTimeNanos(), rr.record().receiveTimeNanos());
            }
            long mapped = r.indexMap().stream().mapToLong(m -> m.sourceLast() - m.sourceFirst() + 1).sum();
            assertEquals(expected.size(), mapped);
        }));
    }

    /**
     * A record's header whose length bit 28 flipped claims 268 MB, past its segment's end: a reader
     * with `tail`'s kind of heap copied it and ran out of memory (OutOfMemoryError, nothing more read).
     * Read here in a child JVM with a 64 MiB heap.
     */
    @Test
    void aReaderWithASmallHeapStepsOverALengthPastTheFilesEnd() throws Exception {
        Path d = copy();
        Excerpt mid = journal.excerpts(1).get(7);
        DamagedJournals.flipBit(journal.segment(d, 1), mid.position() + 3, 4);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Dchronicle")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ReadAllMain.class.getName(), d.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains(DamagedJournals.allBut(List.of(mid.n())) + "\nnotes 1"), out);
    }

    @Test
    void aPristineCopyVerifiesClean() throws Exception {
        Path d = copy();
        VerifyReport v = JournalVerifier.verify(d);
        assertTrue(v.ok(), v.toString());
        assertEquals(DamagedJournals.TOTAL, v.records());
        assertEquals(0, v.uncheckedRecords());
        assertEquals(DamagedJournals.SEGMENTS, v.segmentList().size());
        assertEquals(List.of(17L, 16L, 16L), v.segmentList().stream().map(VerifyReport.SegmentInfo::records).toList());
        assertEquals(DamagedJournals.allBut(List.of()), readAll(JournalReader.builder(d).fromStart(), new ArrayList<>()));
    }

    @Test
    void inPlaceRepairMovesTheDamagedFilesAsideAndLeavesACleanJournal() throws Exception {
        Path d = copy();
        Excerpt mid = journal.excerpts(1).get(5);
        DamagedJournals.zero(journal.segment(d, 1), mid.position(), mid.end());
        JournalRepair.Report r = JournalRepair.inPlace(d);
        assertTrue(r.after().ok(), r.after().toString());
        assertTrue(JournalVerifier.verify(d).ok());
        assertTrue(Files.isDirectory(r.movedAside()));
        assertTrue(Files.exists(r.movedAside().resolve(journal.segmentName(1))));
        assertFalse(JournalVerifier.verify(r.movedAside()).ok(), "the originals are kept as they were");
        assertEquals(DamagedJournals.allBut(List.of(mid.n())), readAll(JournalReader.builder(d).fromStart(), new ArrayList<>()));
    }

    /**
     * A reader without Chronicle (its metadata is gone) at the live end of the last segment, where the
     * writer is half-way through a record: that is the end for now, not damage. Two views of it: the
     * header marked unfinished with part of the body, and (one read racing the writer) the body seen
     * while the header still reads zero. Once the record is complete, the reader returns it.
     */
    @Test
    void aReaderWithoutChronicleWaitsAtARecordBeingWrittenInsteadOfSkippingIt() throws Exception {
        List<Excerpt> s2 = journal.excerpts(2);
        Excerpt last = s2.get(s2.size() - 1);
        Bytes<?> b = Bytes.allocateElasticOnHeap();
        new RecordCodec().write(b, Journals.timed(DamagedJournals.TOTAL), last.index() + 1);
        byte[] body = b.toByteArray();
        b.releaseLast();
        for (boolean headerSeen : new boolean[] {true, false}) {
            Path d = copy();
            Files.delete(d.resolve("metadata.cq4t"));
            Path seg = journal.segment(d, 2);
            long at = last.end();
            assertEquals(0, intAt(seg, at), "nothing after the last record in the fixture");
            DamagedJournals.write(seg, at + 4, java.util.Arrays.copyOf(body, body.length / 2));
            if (headerSeen) {
                DamagedJournals.write(seg, at, DamagedJournals.le(0x8000_0000 | body.length));
            }
            try (JournalReader r = JournalReader.builder(d).fromStart().build()) {
                for (int n = 0; n < DamagedJournals.TOTAL; n++) {
                    assertEquals(n, TestRecords.numberOf(r.next().record()));
                }
                assertEquals(null, r.next(), "the record being written is not there yet (and not damage)");
                DamagedJournals.write(seg, at + 4, body);
                DamagedJournals.write(seg, at, DamagedJournals.le(body.length));
                ReadRecord rr = r.next();
                assertTrue(rr != null, "the record, once complete");
                assertEquals(last.index() + 1, rr.index());
                assertEquals(DamagedJournals.TOTAL, TestRecords.numberOf(rr.record()));
            }
        }
    }

    private static int intAt(Path file, long at) throws java.io.IOException {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            ch.read(bb, at);
        }
        return bb.getInt(0);
    }

    /** Reads record numbers until none is left, collecting damage notes. */
    static List<Long> readAll(JournalReader.Builder b, List<String> notes) {
        List<Long> out = new ArrayList<>();
        try (JournalReader r = b.build()) {
            while (true) {
                ReadRecord rr;
                try {
                    rr = r.next();
                } catch (JournalDamageException e) {
                    notes.add(e.getMessage());
                    continue;
                }
                if (rr == null) {
                    return out;
                }
                out.add(TestRecords.numberOf(rr.record()));
            }
        }
    }
}
