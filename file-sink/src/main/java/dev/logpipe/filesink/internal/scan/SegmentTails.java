package dev.logpipe.filesink.internal.scan;

import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.internal.queue.ChronicleRollCycles;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import dev.logpipe.filesink.internal.queue.JournalQueues.SegmentFile;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Chronicle's own idea of where each segment's data ends (its store's write position: the last
 * excerpt's header), and whether a segment's tail is damaged: the writer must not append behind
 * damage that would hide what it writes, and zeros up to the write position are lost records, not
 * the end of the data.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class SegmentTails {

    private SegmentTails() {
    }

    /** The write position of each segment's store, by cycle; empty if Chronicle cannot open the journal. */
    public static Map<Integer, Long> writePositions(Path dir, RollCycle rollCycle, List<SegmentFile> segs) {
        Map<Integer, Long> out = new HashMap<>();
        openAndRead(dir, rollCycle, segs, out);
        return out;
    }

    /**
     * Fills {@code out} with the write position of each segment's store, by cycle.
     *
     * @return null if Chronicle opened the journal, else why not
     */
    public static String openAndRead(Path dir, RollCycle rollCycle, List<SegmentFile> segs, Map<Integer, Long> out) {
        if (!SegmentScanner.hasChronicleHeader(dir.resolve("metadata.cq4t"))) {
            return "no Chronicle header"; // missing or garbled: Chronicle would wait for its timeout, then fail
        }
        try (SingleChronicleQueue q = JournalQueues.openReadOnly(dir, rollCycle)) {
            for (SegmentFile s : segs) {
                if (!SegmentScanner.hasChronicleHeader(s.file())) {
                    continue;
                }
                SingleChronicleQueueStore store = null;
                try {
                    store = q.storeForCycle(s.cycle(), q.epoch(), false, null);
                    if (store != null) {
                        out.put(s.cycle(), store.writePosition());
                    }
                } catch (RuntimeException | InternalError e) {
                    // a segment Chronicle cannot read has no write position to go by
                } finally {
                    if (store != null) {
                        q.closeStore(store);
                    }
                }
            }
        } catch (RuntimeException | InternalError e) {
            return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
        return null;
    }

    /**
     * A damaged end of the last segment.
     *
     * @param cycle the segment's cycle
     * @param problem what is wrong, with the file name
     * @param lastIndex the index of the last valid record in the journal before the damage, -1 if none in that segment
     */
    public record Tail(int cycle, String problem, long lastIndex) {
    }

    /**
     * What is wrong at the end of {@code dir}'s last segment, or null if its tail is sound: it ends in
     * damage (bytes that are no excerpt after the last record), is truncated, or has zeros where
     * Chronicle's write position says an excerpt was written.
     */
    public static Tail damagedTail(Path dir, RollCycle rollCycle) throws IOException {
        List<SegmentFile> segs = JournalQueues.listSegments(dir, rollCycle);
        if (segs.isEmpty()) {
            return null;
        }
        SegmentFile last = segs.get(segs.size() - 1);
        Long wp = writePositions(dir, rollCycle, List.of(last)).get(last.cycle());
        net.openhft.chronicle.queue.RollCycle rc = ChronicleRollCycles.of(rollCycle);
        try (SegmentScanner sc = new SegmentScanner(last.file(), rc.toIndex(last.cycle(), 0), rc.maxMessagesPerCycle())) {
            String problem = null;
            long lastIndex = -1;
            while (true) {
                SegmentScanner.Step st = sc.next(true);
                if (st instanceof SegmentScanner.Rec r) {
                    problem = null;
                    lastIndex = r.index();
                } else if (st instanceof SegmentScanner.Bad b) {
                    problem = b.reason() + " at byte " + b.from();
                } else {
                    SegmentScanner.End e = (SegmentScanner.End) st;
                    if (problem == null && e.kind() == SegmentScanner.EndKind.FILE_END) {
                        problem = "the file ends at byte " + e.position() + ": truncated";
                    }
                    if (problem == null && e.kind() == SegmentScanner.EndKind.ZEROS && wp != null && e.position() <= wp) {
                        problem = "zeros at byte " + e.position() + " where an excerpt was written (at " + wp + ")";
                    }
                    return problem == null ? null
                            : new Tail(last.cycle(), last.file().getFileName() + ": " + problem, lastIndex);
                }
            }
        }
    }
}
