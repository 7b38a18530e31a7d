package dev.logpipe.filesink.internal.retention;

import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.SinkListener;
import dev.logpipe.filesink.internal.queue.ChronicleRollCycles;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import dev.logpipe.filesink.internal.queue.JournalQueues.SegmentFile;
import dev.logpipe.filesink.internal.reader.PositionFile;
import dev.logpipe.filesink.internal.writer.WriterCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.ToLongFunction;

/**
 * One retention pass over a journal directory: deletes whole closed segments, oldest first, that
 * are past the age limit or over the byte limit. It never deletes the segment being written (nor
 * any later one), and never a segment that a named reader has not finished, unless the hard byte
 * limit forces it; that is logged and counted. It stops at the first segment it must keep, so the
 * journal never gets a hole in the middle.
 *
 * <p>A named reader has finished a segment when the last record it returned is in a later segment.
 *
 * <p>Threading: {@link #run} does blocking file I/O: call it on the runtime's blocking pool, one
 * pass at a time.
 */
public final class RetentionTask {

    private static final Logger LOG = LoggerFactory.getLogger(RetentionTask.class);

    private final Path dir;
    private final RollCycle rollCycle;
    private final RetentionPolicy policy;
    private final Clock clock;
    private final IntSupplier currentCycle;
    private final SinkListener listener;
    private final WriterCounters counters;
    private final Runnable afterDelete;
    private final ToLongFunction<SegmentFile> usedBytes;

    /**
     * @param currentCycle the cycle the writer appends to (MIN_VALUE if none yet: then the newest segment is kept)
     * @param afterDelete run after deleting something (the writer's queue refreshes its listing)
     * @param usedBytes the bytes a segment counts for (its used bytes, not its sparse file size)
     */
    public RetentionTask(Path dir, RollCycle rollCycle, RetentionPolicy policy, Clock clock, IntSupplier currentCycle,
                         SinkListener listener, WriterCounters counters, Runnable afterDelete,
                         ToLongFunction<SegmentFile> usedBytes) {
        this.usedBytes = usedBytes;
        this.dir = dir;
        this.rollCycle = rollCycle;
        this.policy = policy;
        this.clock = clock;
        this.currentCycle = currentCycle;
        this.listener = listener;
        this.counters = counters;
        this.afterDelete = afterDelete;
    }

    /** A deletion made by a pass. */
    public record Deletion(Path file, long bytes, boolean forcedByHardLimit) {
    }

    /** Runs one pass and returns what it deleted; passes run one at a time (a second caller waits). */
    public synchronized List<Deletion> run() throws IOException {
        List<Deletion> out = new ArrayList<>();
        if (policy.keepsEverything()) {
            return out;
        }
        List<SegmentFile> segs = JournalQueues.listSegments(dir, rollCycle);
        if (segs.isEmpty()) {
            return out;
        }
        int current = currentCycle.getAsInt();
        if (current == Integer.MIN_VALUE) {
            current = segs.get(segs.size() - 1).cycle(); // keep the newest: a writer may be about to use it
        }
        net.openhft.chronicle.queue.RollCycle rc = ChronicleRollCycles.of(rollCycle);
        Map<String, Long> readers = PositionFile.readAll(dir);
        List<SegmentFile> sized = new ArrayList<>(segs.size());
        long total = 0;
        for (SegmentFile s : segs) {
            SegmentFile u = new SegmentFile(s.cycle(), s.file(), usedBytes.applyAsLong(s));
            sized.add(u);
            total += u.bytes();
        }
        segs = sized;
        long now = clock.millis();
        for (SegmentFile s : segs) {
            if (s.cycle() >= current) {
                break;
            }
            long endMillis = ((long) s.cycle() + 1) * rc.lengthInMillis();
            boolean old = policy.maxAge() != null && endMillis <= now - policy.maxAge().toMillis();
            boolean tooBig = policy.maxBytes() > 0 && total > policy.maxBytes();
            boolean overHard = policy.hardMaxBytes() > 0 && total > policy.hardMaxBytes();
            if (!old && !tooBig && !overHard) {
                break;
            }
            String unfinishedBy = unfinishedBy(readers, s.cycle(), rc);
            boolean forced = false;
            if (unfinishedBy != null) {
                if (!overHard) {
                    break; // keep it, and everything after it, for the reader
                }
                forced = true;
            }
            try {
                if (!Files.deleteIfExists(s.file())) {
                    total -= s.bytes(); // already gone (deleted by hand): nothing to count
                    continue;
                }
            } catch (IOException e) {
                LOG.warn("retention could not delete {}: {}", s.file(), e.toString());
                counters.retentionError();
                listener.onError(e);
                break;
            }
            total -= s.bytes();
            if (forced) {
                LOG.warn("retention deleted {} ({} bytes) before named reader '{}' finished it: the journal is over "
                        + "its hard limit of {} bytes", s.file(), s.bytes(), unfinishedBy, policy.hardMaxBytes());
            } else {
                LOG.info("retention deleted {} ({} bytes)", s.file(), s.bytes());
            }
            counters.retentionDeleted(s.bytes(), forced);
            listener.onRetentionDelete(s.file(), s.bytes(), forced);
            out.add(new Deletion(s.file(), s.bytes(), forced));
        }
        if (!out.isEmpty()) {
            afterDelete.run();
        }
        return out;
    }

    /** The name of a reader that has not finished {@code cycle}, or null if all have. */
    private static String unfinishedBy(Map<String, Long> readers, int cycle,
                                       net.openhft.chronicle.queue.RollCycle rc) {
        for (Map.Entry<String, Long> e : readers.entrySet()) {
            long last = e.getValue();
            if (last < 0 || rc.toCycle(last) <= cycle) {
                return e.getKey();
            }
        }
        return null;
    }
}
