package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.DamagedJournals.Excerpt;
import dev.logpipe.filesink.internal.repair.RepairSwap;
import dev.logpipe.testsupport.MutableClock;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An in-place repair stopped at any step (a process killed there: the files are as the step left
 * them) leaves one journal: before its marker, the damaged original untouched; after it, a swap that
 * the next writer start finishes, into exactly the journal an uninterrupted repair makes, with named
 * readers' positions translated. Readers refuse the directory until then, and the writer appends after
 * the whole repaired journal, not after a part of it.
 */
class RepairCrashTest {

    @TempDir
    static Path tmp;

    @RegisterExtension
    final TestRuntime runtime = new TestRuntime();

    static DamagedJournals journal;

    /** Thrown by the step hook: the repair's process "dies" there. */
    static final class Crash extends RuntimeException {
        Crash(String step) {
            super("crash after " + step, null, false, false);
        }
    }

    @BeforeAll
    static void writeJournal() throws Exception {
        journal = DamagedJournals.write(tmp.resolve("pristine"));
    }

    /** A copy of the journal with a named reader at record 10 and records 5 and 6 of segment 1 zeroed. */
    private static Path damaged() throws Exception {
        Path dir = journal.freshCopy(tmp);
        List<Excerpt> seg = journal.excerpts(1);
        try (JournalReader r = JournalReader.builder(dir).named("reader").fromIndex(seg.get(10).index()).build()) {
            assertEquals(seg.get(10).n(), TestRecords.numberOf(r.next().record()));
        }
        for (int k = 5; k <= 6; k++) {
            DamagedJournals.zero(journal.segment(dir, 1), seg.get(k).position(), seg.get(k).end());
        }
        return dir;
    }

    private static List<Long> numbers(Path dir) {
        return DamageMatrixTest.readAll(JournalReader.builder(dir).fromStart(), new ArrayList<>());
    }

    private static long nextFor(Path dir, String name) {
        try (JournalReader r = JournalReader.builder(dir).named(name).build()) {
            ReadRecord rr = r.next();
            return rr == null ? -1 : TestRecords.numberOf(rr.record());
        }
    }

    private static List<String> entries(Path dir, String glob) throws IOException {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            for (Path p : ds) {
                out.add(p.getFileName().toString());
            }
        }
        return out;
    }

    /** Starts a journal writer on {@code dir} (as {@code serve} does), appends records 1000.. 1000+n, stops it. */
    private void appendAsAServerWould(Path dir, int n) throws Exception {
        MutableClock clock = new MutableClock(Journals.BASE.plus(Duration.ofMinutes(DamagedJournals.SEGMENTS - 1)));
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).rollCycle(RollCycle.MINUTELY).timeProvider(clock)
                .prefaultPages(false).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        AppendRequest last = null;
        for (int i = 0; i < n; i++) {
            last = AppendRequest.withReceipt(Journals.timed(1000 + i));
            ch.sender().blockingSend(last);
        }
        if (last != null) {
            last.written().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        ch.sender().close();
        sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aRepairStoppedAtAnyStepLeavesOneJournalAndTheNextWriterStartFinishesIt() throws Exception {
        // the journal an uninterrupted repair makes, and the steps it takes
        Path ref = damaged();
        VerifyReport damagedReport = JournalVerifier.verify(ref);
        assertFalse(damagedReport.ok(), "the fixture is damaged");
        List<String> steps = new ArrayList<>();
        JournalRepair.Report refRep = JournalRepair.inPlace(ref, steps::add);
        List<Long> repaired = numbers(ref);
        assertEquals(DamagedJournals.TOTAL - 2, repaired.size(), repaired.toString());
        long refNext = nextFor(ref, "reader");
        assertEquals(journal.excerpts(1).get(11).n(), refNext);
        assertTrue(steps.contains("marker written") && steps.contains("copy in"), steps.toString());
        assertEquals(steps.size(), steps.stream().distinct().count(), "each step once: " + steps);
        assertTrue(refRep.after().ok());

        for (int k = 0; k < steps.size(); k++) {
            String at = steps.get(k);
            Path dir = damaged();
            int stopAt = k;
            AtomicInteger seen = new AtomicInteger();
            assertThrows(Crash.class, () -> JournalRepair.inPlace(dir, what -> {
                if (seen.getAndIncrement() == stopAt) {
                    throw new Crash(what);
                }
            }), at);
            boolean swapping = Files.exists(dir.resolve(RepairSwap.MARKER));
            assertEquals(k >= steps.indexOf("marker written"), swapping, "marker after " + at);
            if (swapping) {
                RepairInterruptedException e = assertThrows(RepairInterruptedException.class, () -> JournalReader.open(dir), at);
                assertTrue(e.getMessage().contains("in-place repair") && e.getMessage().contains("finishes the swap"),
                        e.getMessage());
                assertEquals(dir.resolve(RepairSwap.MARKER), e.marker());
                assertThrows(RepairInterruptedException.class, () -> JournalVerifier.verify(dir), at);
            } else {
                VerifyReport untouched = JournalVerifier.verify(dir);
                assertEquals(damagedReport.records(), untouched.records(), at);
                assertEquals(damagedReport.damage().size(), untouched.damage().size(), at);
                assertEquals(List.of(), entries(dir, "damaged-*"), "nothing moved aside before the marker: " + at);
            }

            appendAsAServerWould(dir, 3);

            assertFalse(Files.exists(dir.resolve(RepairSwap.MARKER)), at);
            assertEquals(List.of(), entries(dir, "repair-*.tmp"), "no copy left behind: " + at);
            List<Long> got = numbers(dir);
            if (swapping) {
                List<Long> want = new ArrayList<>(repaired);
                want.addAll(List.of(1000L, 1001L, 1002L));
                assertEquals(want, got, "the repaired journal, then the new records: " + at);
                assertTrue(JournalVerifier.verify(dir).ok(), at);
                assertEquals(refNext, nextFor(dir, "reader"), "the named reader's position translated: " + at);
                assertEquals(1, JournalRepair.generation(dir), at);
                List<String> aside = entries(dir, "damaged-*");
                assertEquals(1, aside.size(), aside.toString());
                VerifyReport original = JournalVerifier.verify(dir.resolve(aside.get(0)));
                assertEquals(damagedReport.records(), original.records(), "the original, whole, aside: " + at);
                assertEquals(damagedReport.damage().size(), original.damage().size(), at);
            } else {
                assertEquals(DamagedJournals.TOTAL - 2 + 3, got.size(), "the original journal and the new records: " + at);
                assertEquals(List.of(1000L, 1001L, 1002L), got.subList(got.size() - 3, got.size()), at);
                JournalRepair.Report again = JournalRepair.inPlace(dir);
                assertTrue(again.after().ok(), at);
                assertEquals(got, numbers(dir), "a repair run again: " + at);
            }
        }
    }

    @Test
    void aRepairRunOnAnInterruptedSwapFinishesItFirst() throws Exception {
        Path dir = damaged();
        assertThrows(Crash.class, () -> JournalRepair.inPlace(dir, what -> {
            if (what.startsWith("aside ")) {
                throw new Crash(what);
            }
        }));
        assertTrue(Files.exists(dir.resolve(RepairSwap.MARKER)));
        JournalRepair.Report rep = JournalRepair.inPlace(dir);
        assertTrue(rep.before().ok(), "the swap was finished first: this repair found the repaired journal");
        assertEquals(DamagedJournals.TOTAL - 2, numbers(dir).size());
        assertEquals(2, entries(dir, "damaged-*").size(), "the first repair's originals and the second's");
        assertEquals(2, JournalRepair.generation(dir));
    }

    @Test
    void aMarkerThatIsNotOursStopsTheWriterWithWhatToDo() throws Exception {
        Path dir = damaged();
        Files.writeString(dir.resolve(RepairSwap.MARKER), "something else\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> appendAsAServerWould(dir, 1));
        assertTrue(e.getMessage().contains("is not a marker logpipe wrote") && e.getMessage().contains("by hand"),
                e.getMessage());
    }
}
