package dev.logpipe.filesink.internal.reader;

import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.internal.codec.CorruptRecordException;
import dev.logpipe.filesink.internal.codec.RecordCodec;
import dev.logpipe.filesink.internal.queue.ChronicleRollCycles;
import dev.logpipe.filesink.internal.queue.JournalMeta;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;

/**
 * A read-only cursor over a journal: a Chronicle tailer plus the record codec, the start-position
 * logic (start, end, index, time by binary search, last N) and, for a named reader, its persisted
 * position.
 *
 * <p>Threading: confined to one thread (the Chronicle tailer is).
 */
public final class JournalCursor implements AutoCloseable {

    /** Where a cursor starts when it has no persisted position. */
    public enum Start { START, END, INDEX, TIME, LAST }

    private final Path dir;
    private final RollCycle rollCycle;
    private final SingleChronicleQueue queue;
    private final ExcerptTailer tailer;
    private final RecordCodec codec = new RecordCodec();
    private final PositionFile position;
    private boolean closed;

    /**
     * Opens a cursor on {@code dir}.
     *
     * @param arg the index for {@link Start#INDEX}, the epoch nanos for {@link Start#TIME}, the count for {@link Start#LAST}
     * @param name a reader name whose position persists, or null
     */
    public JournalCursor(Path dir, Start start, long arg, String name) {
        this.dir = dir;
        JournalMeta meta = JournalMeta.read(dir).orElseThrow(() -> new IllegalArgumentException(
                "no logpipe journal in " + dir + " (no " + JournalMeta.FILE_NAME + "); check the data directory"));
        if (meta.layoutVersion() != RecordCodec.VERSION) {
            throw new IllegalStateException("journal " + dir + " has record layout version " + meta.layoutVersion()
                    + "; this logpipe reads version " + RecordCodec.VERSION);
        }
        this.rollCycle = meta.rollCycle();
        PositionFile pos = name == null ? null : PositionFile.open(dir, name);
        SingleChronicleQueue q = null;
        try {
            q = JournalQueues.openReadOnly(dir, rollCycle);
            this.queue = q;
            this.tailer = q.createTailer();
            this.position = pos;
            if (pos != null && pos.lastRead() >= 0) {
                resumeAfter(pos.lastRead());
            } else {
                position(start, arg);
            }
        } catch (RuntimeException e) {
            if (pos != null) {
                pos.close();
            }
            if (q != null) {
                q.close();
            }
            throw e;
        }
    }

    private void position(Start start, long arg) {
        switch (start) {
            case START -> toFirst();
            case END -> tailer.toEnd();
            case INDEX -> {
                if (!tailer.moveToIndex(arg)) {
                    long first = firstIndex();
                    if (first >= 0 && arg < first) {
                        toFirst(); // the segment holding it was deleted: continue with what is left
                    } else {
                        tailer.toEnd();
                        long end = tailer.index();
                        if (arg < end) {
                            throw new IllegalArgumentException("index " + arg + " is not in the journal");
                        }
                    }
                }
            }
            case TIME -> seekTime(arg);
            case LAST -> seekLast(arg);
        }
    }

    private void resumeAfter(long lastRead) {
        if (tailer.moveToIndex(lastRead)) {
            try (DocumentContext dc = tailer.readingDocument()) {
                // consume the record already returned before the restart
                assert !dc.isPresent() || dc.index() == lastRead;
            }
        } else {
            // its segment was deleted (forced by a hard byte limit): go on from the oldest left
            toFirst();
        }
    }

    /**
     * Moves to the first record of the oldest segment on disk. Chronicle's own {@code toStart()}
     * trusts the queue's directory listing, which can still name a segment retention just deleted.
     */
    private void toFirst() {
        List<JournalQueues.SegmentFile> segs;
        try {
            segs = JournalQueues.listSegments(dir, rollCycle);
        } catch (java.io.IOException e) {
            segs = List.of();
        }
        net.openhft.chronicle.queue.RollCycle rc = ChronicleRollCycles.of(rollCycle);
        for (JournalQueues.SegmentFile s : segs) {
            if (tailer.moveToIndex(rc.toIndex(s.cycle(), 0))) {
                return;
            }
        }
        tailer.toStart();
    }

    /** The next record, or null if none is there now. */
    public ReadRecord next() {
        checkOpen();
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return null;
                }
                if (dc.isMetaData()) {
                    continue;
                }
                long index = dc.index();
                Bytes<?> bytes = dc.wire().bytes();
                LogRecord r;
                try {
                    r = codec.read(bytes);
                } catch (CorruptRecordException e) {
                    if (position != null) {
                        position.lastRead(index);
                    }
                    throw new IllegalStateException("record at index " + index + " of journal " + dir
                            + " is damaged (" + e.getMessage() + "); run 'logpipe verify'", e);
                }
                if (position != null) {
                    position.lastRead(index);
                }
                return new ReadRecord(index, r);
            }
        }
    }

    /** The index of the next record this cursor will return once written (for diagnostics). */
    public long index() {
        checkOpen();
        return tailer.index();
    }

    /** The first index in the journal, or -1 if it is empty. */
    public long firstIndex() {
        long i = queue.firstIndex();
        return i == Long.MAX_VALUE ? -1 : i;
    }

    /** Flushes a named reader's position to disk; a no-op for an unnamed reader. */
    public void forcePosition() {
        if (position != null) {
            position.force();
        }
    }

    private void seekLast(long n) {
        if (n <= 0) {
            tailer.toEnd();
            return;
        }
        tailer.direction(TailerDirection.BACKWARD).toEnd();
        long idx = -1;
        long seen = 0;
        while (seen < n) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    break;
                }
                if (dc.isMetaData()) {
                    continue;
                }
                idx = dc.index();
                seen++;
            }
        }
        tailer.direction(TailerDirection.FORWARD);
        if (idx < 0) {
            tailer.toEnd();
        } else {
            tailer.moveToIndex(idx);
        }
    }

    /**
     * Positions at the first record whose receive time is at or after {@code nanos}, by binary search:
     * over segments on their first record, then over sequence numbers within one segment. Receive
     * times are stamped before the records meet in the channel, so they are ordered only roughly;
     * with non-decreasing times this is exact.
     */
    private void seekTime(long nanos) {
        net.openhft.chronicle.queue.RollCycle rc = ChronicleRollCycles.of(rollCycle);
        List<Integer> cycles = cycles();
        // last cycle whose first record is before the target
        int lo = 0;
        int hi = cycles.size() - 1;
        int candidate = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long t = timeAt(rc.toIndex(cycles.get(mid), 0));
            if (t == Long.MIN_VALUE || t < nanos) {
                candidate = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (candidate < 0) {
            toFirst();
            return;
        }
        int cycle = cycles.get(candidate);
        long last = lastSequence(rc, cycle);
        // first sequence in [0, last] with time >= target; last + 1 if none
        long a = 0;
        long b = last + 1;
        while (a < b) {
            long m = (a + b) >>> 1;
            long k = m;
            long t = timeAt(rc.toIndex(cycle, k));
            while (t == Long.MIN_VALUE && k + 1 < b) {
                // a damaged record has no time: decide on the next readable one
                k++;
                t = timeAt(rc.toIndex(cycle, k));
            }
            if (t != Long.MIN_VALUE && t < nanos) {
                a = k + 1;
            } else {
                b = m; // at or after the target, or nothing readable up to b: the answer is at most m
            }
        }
        if (a <= last) {
            tailer.moveToIndex(rc.toIndex(cycle, a));
        } else if (candidate + 1 < cycles.size()) {
            tailer.moveToIndex(rc.toIndex(cycles.get(candidate + 1), 0));
        } else {
            tailer.toEnd();
        }
    }

    private List<Integer> cycles() {
        int first = queue.firstCycle();
        int last = queue.lastCycle();
        List<Integer> out = new ArrayList<>();
        if (first == Integer.MAX_VALUE || last == Integer.MIN_VALUE || first > last) {
            return out;
        }
        NavigableSet<Long> set = queue.listCyclesBetween(first, last);
        for (Long c : set) {
            out.add(c.intValue());
        }
        return out;
    }

    /** The highest sequence present in {@code cycle}: exponential probe, then binary search. */
    private long lastSequence(net.openhft.chronicle.queue.RollCycle rc, int cycle) {
        if (!exists(rc.toIndex(cycle, 0))) {
            return -1;
        }
        long good = 0;
        long step = 1;
        long bad;
        while (true) {
            long probe = good + step;
            if (probe > rc.maxMessagesPerCycle()) {
                bad = rc.maxMessagesPerCycle() + 1;
                break;
            }
            if (exists(rc.toIndex(cycle, probe))) {
                good = probe;
                step <<= 1;
            } else {
                bad = probe;
                break;
            }
        }
        while (bad - good > 1) {
            long m = (good + bad) >>> 1;
            if (exists(rc.toIndex(cycle, m))) {
                good = m;
            } else {
                bad = m;
            }
        }
        return good;
    }

    private boolean exists(long index) {
        if (!tailer.moveToIndex(index)) {
            return false;
        }
        try (DocumentContext dc = tailer.readingDocument()) {
            return dc.isPresent() && dc.index() == index;
        }
    }

    /** The receive time of the record at {@code index}, or MIN_VALUE if there is none or it is damaged. */
    private long timeAt(long index) {
        if (!tailer.moveToIndex(index)) {
            return Long.MIN_VALUE;
        }
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) {
                return Long.MIN_VALUE;
            }
            try {
                return RecordCodec.peekReceiveTimeNanos(dc.wire().bytes());
            } catch (CorruptRecordException e) {
                return Long.MIN_VALUE;
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("journal reader is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            tailer.close();
        } finally {
            try {
                queue.close();
            } finally {
                if (position != null) {
                    position.close();
                }
            }
        }
    }

    /** True when {@code dir} holds a journal. */
    public static boolean isJournal(Path dir) {
        return Files.isRegularFile(dir.resolve(JournalMeta.FILE_NAME));
    }
}
