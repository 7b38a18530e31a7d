package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.internal.queue.JournalMeta;
import dev.logpipe.testsupport.MutableClock;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a writer's start does to a journal with damage it cannot open around, found by an adversarial
 * review: a segment whose Chronicle header is damaged was renamed {@code *.discard} by Chronicle at the
 * start and replaced by an empty one (12,000 of 30,000 records hidden, then {@code verify} clean); a
 * journal that lost its properties file was given a new one with the writer's default roll cycle (its
 * segments then unreadable, {@code verify} clean with 0 records).
 */
class StartOnDamageTest {

    @TempDir
    static Path tmp;

    @RegisterExtension
    final TestRuntime runtime = new TestRuntime();

    static DamagedJournals journal;

    @BeforeAll
    static void writeJournal() throws Exception {
        journal = DamagedJournals.write(tmp.resolve("pristine"));
    }

    private static Path copy() throws Exception {
        return journal.freshCopy(tmp);
    }

    private static List<Long> numbers(Path dir) {
        return DamageMatrixTest.readAll(JournalReader.builder(dir).fromStart(), new ArrayList<>());
    }

    private static List<String> names(Path dir, String glob) throws Exception {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            ds.forEach(p -> out.add(p.getFileName().toString()));
        }
        return out;
    }

    /** Starts a writer on {@code dir} as serve does (asking for {@code cycle}), appends one record, stops. */
    private void start(Path dir, RollCycle cycle) throws Exception {
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).rollCycle(cycle)
                .timeProvider(new MutableClock(Journals.BASE.plus(Duration.ofMinutes(DamagedJournals.SEGMENTS))))
                .prefaultPages(false).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(8);
        sink.start(ch.receiver());
        AppendRequest r = AppendRequest.withReceipt(Journals.timed(1000));
        ch.sender().blockingSend(r);
        r.written().toCompletableFuture().get(10, TimeUnit.SECONDS);
        ch.sender().close();
        sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aSegmentWithADamagedHeaderStopsTheWriterInsteadOfBeingSetAside() throws Exception {
        Path dir = copy();
        Path middle = journal.segment(dir, 1);
        DamagedJournals.zero(middle, 0, 64);
        byte[] before = Files.readAllBytes(middle);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> start(dir, RollCycle.MINUTELY));
        assertTrue(e.getMessage().contains("segment " + middle.getFileName() + " has a damaged Chronicle header")
                && e.getMessage().contains("--in-place"), e.getMessage());
        assertEquals(List.of(), names(dir, "*.discard"), "nothing set aside");
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(middle)), "the segment untouched");
        assertEquals(DamagedJournals.TOTAL, numbers(dir).size(), "every record still readable");

        JournalRepair.inPlace(dir);
        start(dir, RollCycle.MINUTELY);
        List<Long> after = numbers(dir);
        assertEquals(DamagedJournals.TOTAL + 1, after.size(), "the repair kept every record; the writer appended");
        assertEquals(1000L, after.get(after.size() - 1));
    }

    @Test
    void aSegmentOfZerosLeftByAnInterruptedCreationDoesNotStopTheWriter() throws Exception {
        Path dir = copy();
        Path last = journal.segment(dir, 2);
        long size = Files.size(last);
        Files.delete(last);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(last.toFile(), "rw")) {
            f.setLength(size); // all zeros: nothing in it to lose
        }
        start(dir, RollCycle.MINUTELY);
        List<Long> n = numbers(dir);
        assertEquals(1000L, n.get(n.size() - 1));
    }

    @Test
    void verifyReportsASegmentChronicleSetAside() throws Exception {
        Path dir = copy();
        Files.write(dir.resolve(journal.segmentName(1) + "-1765000000000.discard"), new byte[] {1, 2, 3});
        VerifyReport r = JournalVerifier.verify(dir);
        assertFalse(r.ok(), r.toString());
        assertTrue(r.damage().stream().anyMatch(d -> d.describe().contains("set aside")
                && d.describe().contains(journal.segmentName(1))), r.damage().toString());
    }

    @Test
    void aJournalThatLostItsPropertiesFileKeepsItsRollCycle() throws Exception {
        Path dir = copy();
        Files.delete(dir.resolve(JournalMeta.FILE_NAME));
        assertEquals(DamagedJournals.TOTAL, numbers(dir).size(), "readers tell the cycle by the segments' names");
        start(dir, RollCycle.HOURLY); // serve's default: it used to write HOURLY, and the journal then read as empty
        assertEquals(RollCycle.MINUTELY, JournalMeta.read(dir).orElseThrow().rollCycle());
        assertTrue(Files.isRegularFile(dir.resolve(JournalMeta.FILE_NAME)), "written again");
        assertEquals(DamagedJournals.TOTAL + 1, numbers(dir).size());
        assertTrue(JournalVerifier.verify(dir).ok());
    }
}
