package dev.logpipe.filesink.internal.verify;

import dev.logpipe.filesink.VerifyReport;
import dev.logpipe.filesink.VerifyReport.Damage;
import dev.logpipe.filesink.VerifyReport.Kind;
import dev.logpipe.filesink.VerifyReport.SegmentInfo;
import dev.logpipe.filesink.internal.queue.ChronicleRollCycles;
import dev.logpipe.filesink.internal.queue.JournalMeta;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import dev.logpipe.filesink.internal.queue.JournalQueues.SegmentFile;
import dev.logpipe.filesink.internal.scan.SegmentScanner;
import dev.logpipe.filesink.internal.scan.SegmentTails;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The walk behind {@code JournalVerifier}: every segment file byte by byte with a
 * {@link SegmentScanner} (so damage in one place cannot hide what follows it), then the links
 * between segments and Chronicle's metadata. Reports at most {@value #MAX_DAMAGE} damage entries.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class Verification {

    private static final int MAX_DAMAGE = 1000;
    private static final long PAGE = 4096;

    /** Chronicle's table store file. */
    public static final String METADATA_FILE = "metadata.cq4t";

    private Verification() {
    }

    public static VerifyReport run(Path dir) {
        return run(dir, null);
    }

    /**
     * Verifies {@code dir}, handing every readable record to {@code sink} (null: none) in journal order,
     * with the segment it came from; {@code repair} copies records this way.
     */
    public static VerifyReport run(Path dir, Consumer<SegmentScanner.Rec> sink) {
        JournalMeta meta = JournalMeta.read(dir).orElseThrow(() -> new IllegalArgumentException(
                "no logpipe journal in " + dir + " (no " + JournalMeta.FILE_NAME + "); check the data directory"));
        List<Damage> damage = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (!meta.readable()) {
            damage.add(new Damage(Kind.METADATA, null, -1, 0, -1, -1, meta.unreadable(dir).getMessage()));
            return new VerifyReport(List.of(), 0, 0, -1, -1, null, null, 0, damage, notes);
        }
        List<SegmentFile> segs;
        try {
            segs = JournalQueues.listSegments(dir, meta.rollCycle());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        java.util.Map<Integer, Long> writePositions = new java.util.HashMap<>();
        checkMetadata(dir, meta, segs, damage, writePositions);
        // a segment Chronicle could not open and set aside (it renames it NAME.cq4-MILLIS.discard and starts
        // an empty one): its records are not in the journal any more, which a walk of the segments cannot see
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.discard")) {
            for (Path p : ds) {
                long bytes = Files.size(p);
                add(damage, new Damage(Kind.SEGMENT_FILE, p.getFileName().toString(), -1, bytes, -1, -1,
                        "a segment Chronicle could not open and set aside (" + bytes + " bytes): its records are not"
                                + " in the journal; move it back under its name (" + p.getFileName().toString()
                                .replaceFirst("-\\d+\\.discard$", "") + ", in place of the empty one) and run"
                                + " `logpipe repair` to read them"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        net.openhft.chronicle.queue.RollCycle rc = ChronicleRollCycles.of(meta.rollCycle());
        Set<Integer> cycles = new HashSet<>();
        for (SegmentFile s : segs) {
            cycles.add(s.cycle());
        }
        Walk w = new Walk(damage, sink);
        List<SegmentInfo> infos = new ArrayList<>();
        for (int i = 0; i < segs.size(); i++) {
            SegmentFile s = segs.get(i);
            boolean lastSegment = i == segs.size() - 1;
            String name = s.file().getFileName().toString();
            try (SegmentScanner sc = new SegmentScanner(s.file(), rc.toIndex(s.cycle(), 0), rc.maxMessagesPerCycle())) {
                infos.add(w.segment(sc, name, lastSegment, writePositions.getOrDefault(s.cycle(), -1L), notes));
                int prev = sc.previousCycle();
                if (prev >= 0 && !cycles.contains(prev) && prev >= segs.get(0).cycle()) {
                    String missing = JournalQueues.segmentFile(dir, meta.rollCycle(), prev).getFileName().toString();
                    add(damage, new Damage(Kind.MISSING_SEGMENT, missing, -1, 0, -1, -1,
                            "segment is missing: " + name + " says it was written after it; its records are lost"));
                }
            } catch (java.nio.file.NoSuchFileException e) {
                // deleted by retention while we looked
            } catch (IOException e) {
                add(damage, new Damage(Kind.SEGMENT_FILE, name, -1, 0, -1, -1, "cannot read: " + e.getMessage()));
            }
        }
        if (w.unchecked > 0) {
            notes.add(w.unchecked + " records are of layout version 1 (written before logpipe kept checksums):"
                    + " they decode, but are unchecked");
        }
        return new VerifyReport(infos, w.records, w.unchecked, w.first, w.last, toInstant(w.firstTime),
                toInstant(w.lastTime), w.outOfOrder, damage, notes);
    }

    /** Chronicle's table store: present, and the queue opens read-only with it. */
    private static void checkMetadata(Path dir, JournalMeta meta, List<SegmentFile> segs, List<Damage> damage,
                                      java.util.Map<Integer, Long> writePositions) {
        Path f = dir.resolve(METADATA_FILE);
        if (!Files.isRegularFile(f)) {
            if (!segs.isEmpty()) {
                add(damage, new Damage(Kind.METADATA, METADATA_FILE, -1, 0, -1, -1,
                        "is missing (Chronicle's table store); readers fall back to reading segments directly,"
                                + " and `logpipe repair` writes a journal with a new one"));
            }
            return;
        }
        if (!SegmentScanner.hasChronicleHeader(f)) {
            add(damage, new Damage(Kind.METADATA, METADATA_FILE, -1, 0, -1, -1,
                    "is garbled (no Chronicle header); readers fall back to reading segments directly, the writer"
                            + " moves it aside and rebuilds it, and `logpipe repair` writes a journal with a new one"));
            return;
        }
        String failure = SegmentTails.openAndRead(dir, meta.rollCycle(), segs, writePositions);
        if (failure != null) {
            add(damage, new Damage(Kind.METADATA, METADATA_FILE, -1, 0, -1, -1,
                    "is unreadable (" + failure + "); readers fall back to reading segments directly, and"
                            + " `logpipe repair` writes a journal with a new one"));
        }
    }

    /** The state of one walk over the segments. */
    private static final class Walk {
        final List<Damage> damage;
        final Consumer<SegmentScanner.Rec> sink;
        long records;
        long unchecked;
        long first = -1;
        long last = -1;
        long firstTime = Long.MIN_VALUE;
        long lastTime = Long.MIN_VALUE;
        long outOfOrder;

        Walk(List<Damage> damage, Consumer<SegmentScanner.Rec> sink) {
            this.damage = damage;
            this.sink = sink;
        }

        SegmentInfo segment(SegmentScanner sc, String name, boolean lastSegment, long writePosition, List<String> notes)
                throws IOException {
            boolean header = sc.hasSegmentHeader();
            List<Damage> found = new ArrayList<>();
            long segRecords = 0;
            long segFirst = -1;
            long segLast = -1;
            long prevIndex = sc.cycleFirstIndex() - 1; // sequence 0 comes first in a segment
            SegmentScanner.Bad pending = null;
            long end;
            while (true) {
                SegmentScanner.Step step = sc.next(true);
                if (step instanceof SegmentScanner.Rec r) {
                    if (pending != null) {
                        found.add(region(name, pending, prevIndex + 1, r.checked() ? r.index() - 1 : -1));
                        pending = null;
                    } else if (r.checked() && r.index() != prevIndex + 1) {
                        found.add(new Damage(Kind.INDEX_GAP, name, r.position(), 0,
                                r.index() > prevIndex ? prevIndex + 1 : -1, r.index() > prevIndex ? r.index() - 1 : -1,
                                "index " + r.index() + " follows index " + prevIndex));
                    }
                    prevIndex = r.index();
                    segRecords++;
                    if (segFirst < 0) {
                        segFirst = r.index();
                    }
                    segLast = r.index();
                    record(r);
                } else if (step instanceof SegmentScanner.Bad b) {
                    pending = pending == null ? b : new SegmentScanner.Bad(pending.from(), b.to(), pending.reason());
                } else {
                    SegmentScanner.End e = (SegmentScanner.End) step;
                    end = e.position();
                    if (pending != null) {
                        Damage d = region(name, pending, prevIndex + 1, -1);
                        if (pending.reason().endsWith("truncated")) {
                            d = new Damage(Kind.TRUNCATED, d.segment(), d.position(), d.bytes(), d.firstIndex(),
                                    d.lastIndex(), d.problem());
                        }
                        found.add(d);
                    } else if (e.kind() == SegmentScanner.EndKind.FILE_END && header) {
                        found.add(new Damage(Kind.TRUNCATED, name, e.position(), 0, -1, -1,
                                "the file ends right after its last excerpt (a segment file is always longer):"
                                        + " truncated; records written after it, if any, are lost"));
                    } else if (e.kind() == SegmentScanner.EndKind.ZEROS && writePosition >= e.position()) {
                        found.add(new Damage(Kind.REGION, name, e.position(), writePosition + 4 - e.position(),
                                prevIndex + 1, -1, "zeros where Chronicle wrote an excerpt (its write position is byte "
                                + writePosition + ")"));
                    } else if (e.kind() == SegmentScanner.EndKind.INCOMPLETE) {
                        notes.add(name + " ends in an unfinished excerpt at byte " + e.position()
                                + " (a writer stopped mid-append, e.g. killed): not damage, the record was never written;"
                                + (lastSegment ? " the next writer recovers it" : " readers go on with the next segment"));
                    }
                    break;
                }
            }
            if (!header) {
                if (segRecords == 0) {
                    found.clear();
                    found.add(new Damage(Kind.SEGMENT_FILE, name, 0, sc.size(), -1, -1,
                            "not a Chronicle Queue segment (no segment header, no readable record)"));
                } else {
                    found.add(0, new Damage(Kind.SEGMENT_FILE, name, 0, 0, -1, -1,
                            "the segment header is damaged (the records after it were read)"));
                }
            }
            for (Damage d : found) {
                add(damage, d);
            }
            long used = Math.min(sc.size(), (end + 2 * PAGE - 1) & -PAGE);
            return new SegmentInfo(name, segRecords, used, segFirst, segLast);
        }

        private void record(SegmentScanner.Rec r) {
            long recv = r.record().receiveTimeNanos();
            records++;
            if (!r.checked()) {
                unchecked++;
            }
            if (first < 0) {
                first = r.index();
                firstTime = recv;
            }
            if (lastTime != Long.MIN_VALUE && recv < lastTime) {
                outOfOrder++;
            }
            last = r.index();
            lastTime = recv;
            if (sink != null) {
                sink.accept(r);
            }
        }
    }

    private static Damage region(String segment, SegmentScanner.Bad b, long firstLost, long lastLost) {
        String what = b.reason();
        if (firstLost >= 0 && lastLost >= 0 && lastLost < firstLost) {
            what += "; no record lost";
            firstLost = -1;
            lastLost = -1;
        }
        Kind kind = firstLost >= 0 && firstLost == lastLost ? Kind.RECORD : Kind.REGION;
        return new Damage(kind, segment, b.from(), b.bytes(), firstLost, lastLost, what);
    }

    private static void add(List<Damage> damage, Damage d) {
        if (damage.size() < MAX_DAMAGE) {
            damage.add(d);
        }
    }

    private static Instant toInstant(long nanos) {
        return nanos == Long.MIN_VALUE ? null
                : Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
