package dev.logpipe.filesink;

import dev.logpipe.filesink.DamagedJournals.Excerpt;
import dev.logpipe.filesink.internal.repair.RepairMaps;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A repair that drops damaged records moves the indexes after them down; the positions kept by
 * index follow: named readers' positions are translated into the repaired journal, and the map kept
 * in it translates a position kept elsewhere (a Kafka forwarder's). Each reader resumes at the first
 * record after its position that survived: none skipped, none read twice.
 */
class RepairPositionsTest {

    @TempDir
    static Path tmp;

    static DamagedJournals journal;
    static final AtomicInteger COPIES = new AtomicInteger();

    @BeforeAll
    static void writeJournal() throws Exception {
        journal = DamagedJournals.write(tmp.resolve("pristine"));
    }

    private static Path copy() throws Exception {
        return journal.copyTo(tmp.resolve("copy-" + COPIES.incrementAndGet()));
    }

    /** Saves {@code e} as the last record reader {@code name} read. */
    private static void readUpTo(Path dir, String name, Excerpt e) {
        try (JournalReader r = JournalReader.builder(dir).named(name).fromIndex(e.index()).build()) {
            assertEquals(e.n(), TestRecords.numberOf(r.next().record()));
        }
    }

    /** The record number a named reader returns next (saved as read), -1 if none. */
    private static long nextFor(Path dir, String name) {
        try (JournalReader r = JournalReader.builder(dir).named(name).build()) {
            ReadRecord rr = r.next();
            return rr == null ? -1 : TestRecords.numberOf(rr.record());
        }
    }

    private static Map<Long, Long> indexByNumber(Path dir) {
        Map<Long, Long> out = new HashMap<>();
        try (JournalReader r = JournalReader.builder(dir).fromStart().build()) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                out.put(TestRecords.numberOf(rr.record()), rr.index());
            }
        }
        return out;
    }

    @Test
    void anInPlaceRepairCarriesNamedReadersAndKeepsItsMap() throws Exception {
        Path dir = copy();
        List<Excerpt> seg = journal.excerpts(1);
        readUpTo(dir, "before", seg.get(2));
        readUpTo(dir, "dropped", seg.get(5));
        readUpTo(dir, "after", seg.get(10));
        readUpTo(dir, "later", journal.excerpts(2).get(3));
        try (JournalReader r = JournalReader.builder(dir).named("nothing").fromStart().build()) {
            assertEquals(-1, r.resumedAfter());
        }
        for (int k = 5; k <= 6; k++) {
            DamagedJournals.zero(journal.segment(dir, 1), seg.get(k).position(), seg.get(k).end());
        }
        JournalRepair.Report rep = JournalRepair.inPlace(dir);
        assertEquals(1, rep.generation());
        assertTrue(Files.isRegularFile(rep.mapFile()), rep.mapFile().toString());
        assertEquals(5, rep.readers().size(), rep.readers().toString());
        assertEquals(1, JournalRepair.generation(dir));

        assertEquals(seg.get(3).n(), nextFor(dir, "before"));
        assertEquals(seg.get(7).n(), nextFor(dir, "dropped"), "a position on a dropped record resumes after it");
        assertEquals(seg.get(11).n(), nextFor(dir, "after"), "moved down two, not skipping two");
        assertEquals(journal.excerpts(2).get(4).n(), nextFor(dir, "later"));
        assertEquals(0, nextFor(dir, "nothing"));

        // a position kept elsewhere, by the old indexes: the same record's new index, or the one before it kept
        Map<Long, Long> now = indexByNumber(dir);
        assertEquals(now.get(seg.get(10).n()), JournalRepair.translate(dir, seg.get(10).index(), 0));
        assertEquals(now.get(seg.get(4).n()), JournalRepair.translate(dir, seg.get(6).index(), 0));
        assertEquals(now.get(seg.get(2).n()), JournalRepair.translate(dir, seg.get(2).index(), 0));
        assertEquals(seg.get(10).index() - 2, JournalRepair.translate(dir, seg.get(10).index(), 0));
        assertEquals(journal.excerpts(2).get(3).index(), JournalRepair.translate(dir, journal.excerpts(2).get(3).index(), 0));
        assertEquals(-1, JournalRepair.translate(dir, -1, 0));
        assertEquals(seg.get(10).index(), JournalRepair.translate(dir, seg.get(10).index(), 1), "saved after the repair");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> JournalRepair.translate(dir, 5, 2));
        assertTrue(e.getMessage().contains("records only 1"), e.getMessage());

        // the originals, positions and all, are aside as they were
        assertEquals(List.of("readers"), subdirs(rep.movedAside()));
    }

    @Test
    void anInPlaceRepairRefusesWhileANamedReaderIsOpen() throws Exception {
        Path dir = copy();
        try (JournalReader r = JournalReader.builder(dir).named("live").fromStart().build()) {
            assertEquals(0, TestRecords.numberOf(r.next().record()));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> JournalRepair.inPlace(dir));
            assertTrue(e.getMessage().contains("named reader [live]") && e.getMessage().contains("stop it first"),
                    e.getMessage());
            assertFalse(Files.exists(dir.resolve(RepairMaps.DIR)), "nothing done");
        }
        assertEquals(1, JournalRepair.inPlace(dir).generation(), "closed: the repair runs");
    }

    @Test
    void aCopyLeavesTheSourceAsItWasAndCarriesMapsAndPositions() throws Exception {
        Path dir = copy();
        List<Excerpt> seg = journal.excerpts(0);
        readUpTo(dir, "r", seg.get(9));
        DamagedJournals.zero(journal.segment(dir, 0), seg.get(4).position(), seg.get(4).end());
        Path first = tmp.resolve("first-" + COPIES.incrementAndGet());
        JournalRepair.Report one = JournalRepair.copy(dir, first);
        assertEquals(1, one.generation());
        assertEquals(seg.get(10).n(), nextFor(first, "r")); // which saves record 10 as read
        // a second repair of the first's result: its map comes along, the new one is number 2
        Path second = tmp.resolve("second-" + COPIES.incrementAndGet());
        JournalRepair.Report two = JournalRepair.copy(first, second);
        assertEquals(2, two.generation());
        assertEquals(2, JournalRepair.generation(second));
        assertEquals(seg.get(11).n(), nextFor(second, "r"));
        assertEquals(seg.get(9).index() - 1, JournalRepair.translate(second, seg.get(9).index(), 0));
        assertFalse(Files.exists(dir.resolve(RepairMaps.DIR)));
    }

    @Test
    void aDamagedPositionFileIsLeftOutAndReported() throws Exception {
        Path dir = copy();
        readUpTo(dir, "good", journal.excerpts(0).get(3));
        readUpTo(dir, "bad", journal.excerpts(0).get(5));
        Path bad = dir.resolve("readers").resolve("bad.pos");
        byte[] b = Files.readAllBytes(bad);
        b[0] ^= 1; // its magic
        Files.write(bad, b);
        JournalRepair.Report r = JournalRepair.copy(dir, tmp.resolve("out-" + COPIES.incrementAndGet()));
        Map<String, JournalRepair.ReaderPosition> byName = new HashMap<>();
        r.readers().forEach(p -> byName.put(p.name(), p));
        assertTrue(byName.get("bad").damaged(), r.readers().toString());
        assertFalse(byName.get("good").damaged());
        assertFalse(Files.exists(r.target().resolve("readers").resolve("bad.pos")), "not carried over");
        assertEquals(journal.excerpts(0).get(4).n(), nextFor(r.target(), "good"));
    }

    @Test
    void mapsTranslateInTurnAndAGapOrADamagedMapIsAnError() throws Exception {
        Path dir = tmp.resolve("maps-" + COPIES.incrementAndGet());
        // repair 1 dropped 10..12; repair 2 dropped what was then 20
        RepairMaps.write(dir, 1, List.of(new JournalRepair.IndexRange(0, 9, 0), new JournalRepair.IndexRange(13, 40, 10)));
        RepairMaps.write(dir, 2, List.of(new JournalRepair.IndexRange(0, 19, 0), new JournalRepair.IndexRange(21, 37, 20)));
        assertEquals(2, JournalRepair.generation(dir));
        assertEquals(9, JournalRepair.translate(dir, 9, 0));
        assertEquals(9, JournalRepair.translate(dir, 11, 0), "dropped by repair 1");
        assertEquals(19, JournalRepair.translate(dir, 23, 0), "23 -> 20 -> dropped by repair 2 -> 19");
        assertEquals(20, JournalRepair.translate(dir, 24, 0), "24 -> 21 -> 20");
        assertEquals(20, JournalRepair.translate(dir, 21, 1), "from repair 1's indexes on, only map 2 applies");
        assertEquals(21, JournalRepair.translate(dir, 21, 2), "saved at today's generation: unchanged");
        List<JournalRepair.IndexRange> none = new ArrayList<>();
        RepairMaps.write(dir, 4, none);
        IllegalStateException gap = assertThrows(IllegalStateException.class, () -> JournalRepair.generation(dir));
        assertTrue(gap.getMessage().contains("not numbered 1 to 3"), gap.getMessage());
        Files.delete(RepairMaps.file(dir, 4));
        Files.writeString(RepairMaps.file(dir, 2), Files.readString(RepairMaps.file(dir, 2)).replace("21 37", "21 x7"));
        IllegalStateException bad = assertThrows(IllegalStateException.class, () -> JournalRepair.translate(dir, 24, 0));
        assertTrue(bad.getMessage().contains("line 3 of the repair map"), bad.getMessage());
    }

    private static List<String> subdirs(Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.filter(Files::isDirectory).forEach(p -> out.add(p.getFileName().toString()));
        }
        return out;
    }
}
