package dev.logpipe.filesink.internal.reader;

import dev.logpipe.filesink.JournalDamageException;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.internal.codec.CorruptRecordException;
import dev.logpipe.filesink.internal.codec.RecordCodec;
import dev.logpipe.filesink.internal.queue.ChronicleRollCycles;
import dev.logpipe.filesink.internal.queue.JournalMeta;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import dev.logpipe.filesink.internal.queue.Madvise;
import dev.logpipe.filesink.internal.queue.PassedPages;
import dev.logpipe.filesink.internal.queue.QueueEnds;
import dev.logpipe.filesink.internal.scan.SegmentScanner;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueStore;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;

/**
 * A read-only cursor over a journal: a Chronicle tailer plus the record codec, the start-position
 * logic (start, end, index, time by binary search, last N) and, for a named reader, its persisted
 * position.
 *
 * <p>Damage: Chronicle does not checksum excerpts, and its tailer stops for good at a zeroed or
 * garbled header (it waits for data there, or for an end-of-cycle marker that never comes). So the
 * cursor checks every record's checksum, and when the tailer has nothing while the segment's write
 * position or a later segment says there is more, or when Chronicle fails (a truncated segment
 * faults its mapping), it reads the rest of that segment byte by byte with a {@link SegmentScanner},
 * which steps over damage to the next valid record; then it goes back to the tailer at the next
 * segment. Each damaged region is reported once, as a {@link JournalDamageException} thrown after
 * the cursor has moved past it. If Chronicle cannot open the journal at all (its metadata is missing
 * or garbled), the cursor reads every segment that way.
 *
 * <p>Threading: confined to one thread (the Chronicle tailer is).
 */
public final class JournalCursor implements AutoCloseable {

    /** Where a cursor starts when it has no persisted position. */
    public enum Start { START, END, INDEX, TIME, LAST }

    private static final Logger LOG = LoggerFactory.getLogger(JournalCursor.class);
    /** Pages this close behind the last record read stay mapped. */
    static final long READ_KEEP_BEHIND = 64L << 10;
    /** Pages read are dropped from the mapping in steps of at least this much. */
    static final long READ_RELEASE_STEP = 1L << 20;
    /** A segment's head (its header and first index), read on every position check: stays mapped. */
    static final long READ_KEEP_HEAD = 1L << 20;

    /** How often, at most, an idle cursor checks whether the tailer is stuck in front of damage. */
    private static final long CHECK_INTERVAL_NANOS = 200_000_000L;

    private final Path dir;
    private final RollCycle rollCycle;
    private final net.openhft.chronicle.queue.RollCycle rc;
    private SingleChronicleQueue queue;
    private ExcerptTailer tailer;
    private final RecordCodec codec = new RecordCodec();
    private final PositionFile position;
    /** The position is saved by {@link #commit} only. */
    private final boolean commitOnly;
    private boolean closed;

    /** The index of the last record returned or reported damaged, -1 before the first. */
    private long lastReturned = -1;
    /** The cycle and end byte position of the last record read through the tailer. */
    private int lastCycle = Integer.MIN_VALUE;
    private long lastEnd = -1;
    /** Rate limit for the checks an idle cursor makes at the same place (a directory listing, a store lookup). */
    private long nextCheck;
    private long checkedPosition = -1;
    private long retriedAt = -1;
    private int checkedCycle = Integer.MIN_VALUE;

    /** Non-null while reading a segment byte by byte. */
    private SegmentScanner scanner;
    private int scanCycle;
    /** In scan mode, records with an index up to this one were returned already (or are before the start). */
    private long skipUpTo = -1;
    /** In scan mode, records received before this are before the start (a time start without Chronicle). */
    private long skipBeforeTime = Long.MIN_VALUE;
    private SegmentScanner.Bad pendingBad;
    /**
     * In scan mode, the index of the last record the scan passed in its segment (returned or skipped),
     * or -1 if unknown, and where that record ended: a record more than one index past it means the
     * records between are gone without a damaged region to show for it, which is noted like damage.
     */
    private long lastSeen = -1;
    private long lastSeenEnd = -1;
    private long zeroReported = -1;
    private long lastLookAhead;
    /** A record found right after a damaged region, returned on the call after the damage is reported. */
    private ReadRecord pendingRecord;
    /** Cycles whose segment file has a Chronicle header. */
    private final java.util.Set<Integer> headerChecked = new java.util.HashSet<>();
    /**
     * The store of the segment whose write position was last asked, kept: acquiring and releasing it
     * per question cost a following reader ~10 µs of CPU per record (a reader that catches up asks on
     * each catch-up, and byte by byte on every record), and churned Chronicle's background releaser.
     * Its header's write position is read live from the mapping.
     */
    private SingleChronicleQueueStore heldStore;
    private int heldStoreCycle = Integer.MIN_VALUE;
    /** {@link #laterSegmentSeen}'s last answer, for which cycle, and when (a later segment, once seen, stays). */
    private boolean laterSeen;
    private int laterCheckedCycle = Integer.MIN_VALUE;
    private long laterCheckedAt;
    /**
     * Drops the pages read from the mapping: without it, reading a 13 GB segment of tiny records kept
     * about 150 MB of it resident ({@code bench/RESULTS.md}).
     */
    private final PassedPages passed = new PassedPages(Madvise.ofThisOs(), READ_KEEP_BEHIND, READ_RELEASE_STEP,
            READ_KEEP_HEAD, why -> LOG.debug("reader: read pages stay mapped ({})", why));

    /**
     * Opens a cursor on {@code dir}.
     *
     * @param arg the index for {@link Start#INDEX}, the epoch nanos for {@link Start#TIME}, the count for {@link Start#LAST}
     * @param name a reader name whose position persists, or null
     */
    public JournalCursor(Path dir, Start start, long arg, String name) {
        this(dir, start, arg, name, false);
    }

    /**
     * Opens a cursor on {@code dir}.
     *
     * @param arg the index for {@link Start#INDEX}, the epoch nanos for {@link Start#TIME}, the count for {@link Start#LAST}
     * @param name a reader name whose position persists, or null
     * @param commitOnly with a name: the position is saved only by {@link #commit}, not per record
     *     returned, and the start always applies (it is set as the position: what lies before the
     *     start is done for this reader)
     */
    public JournalCursor(Path dir, Start start, long arg, String name, boolean commitOnly) {
        this.dir = dir;
        this.commitOnly = commitOnly && name != null;
        JournalMeta meta = JournalMeta.read(dir).orElseThrow(() -> new IllegalArgumentException(
                "no logpipe journal in " + dir + " (no " + JournalMeta.FILE_NAME + "); check the data directory"));
        if (!meta.readable()) {
            throw meta.unreadable(dir);
        }
        this.rollCycle = meta.rollCycle();
        this.rc = ChronicleRollCycles.of(rollCycle);
        PositionFile pos = name == null ? null : PositionFile.open(dir, name, commitOnly, !commitOnly);
        this.position = pos;
        if (this.commitOnly) {
            pos = null; // the start applies: the caller knows where it resumes
        }
        try {
            openChronicle();
            boolean positioned = false;
            if (tailer != null) {
                try {
                    if (pos != null && pos.lastRead() >= 0) {
                        resumeAfter(pos.lastRead());
                    } else {
                        position(start, arg);
                    }
                    positioned = true;
                } catch (RuntimeException | InternalError | AssertionError e) {
                    // damage in the way of Chronicle's positioning (its assertions trip on it too): find the start by scanning
                    dropTailer();
                }
            }
            if (!positioned) {
                if (pos != null && pos.lastRead() >= 0) {
                    scanFromIndex(pos.lastRead() + 1);
                } else {
                    scanPosition(start, arg);
                }
            }
            if (this.commitOnly) {
                position.lastRead(lastReturned);
            }
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    private void openChronicle() {
        if (!SegmentScanner.hasChronicleHeader(dir.resolve("metadata.cq4t"))) {
            return; // missing (Chronicle would create it; a reader never writes) or garbled
        }
        for (JournalQueues.SegmentFile s : segments()) {
            if (!chronicleCanRead(s.cycle())) {
                return; // Chronicle's tailer would wait its full timeout at this file, each time it meets it
            }
        }
        try {
            queue = JournalQueues.openReadOnly(dir, rollCycle);
            tailer = queue.createTailer();
        } catch (RuntimeException | InternalError e) {
            dropTailer();
        }
    }

    /** Stops using Chronicle for good; every segment is read byte by byte from now on. */
    private void dropTailer() {
        releaseHeldStore();
        try {
            if (tailer != null) {
                tailer.close();
            }
        } catch (RuntimeException | InternalError ignored) {
            // the tailer is being abandoned because it failed
        }
        try {
            if (queue != null) {
                queue.close();
            }
        } catch (RuntimeException | InternalError ignored) {
            // as above
        }
        tailer = null;
        queue = null;
    }

    private void position(Start start, long arg) {
        switch (start) {
            case START -> toFirst();
            case END -> {
                QueueEnds.toEnd(tailer, queue);
                settle(tailer.index());
            }
            case INDEX -> {
                if (tailer.moveToIndex(arg)) {
                    settle(arg);
                } else {
                    long first = firstIndex();
                    if (first >= 0 && arg < first) {
                        toFirst(); // the segment holding it was deleted: continue with what is left
                    } else {
                        QueueEnds.toEnd(tailer, queue);
                        long end = tailer.index();
                        if (arg < end) {
                            throw new IllegalArgumentException("index " + arg + " is not in the journal");
                        }
                        settle(end);
                    }
                }
            }
            case TIME -> seekTime(arg);
            case LAST -> seekLast(arg);
        }
    }

    /**
     * Records that the tailer is about to read {@code nextIndex}, and where in its segment that is
     * (by reading the record before it), so a later check for damage starts from there.
     */
    private void settle(long nextIndex) {
        lastReturned = nextIndex - 1;
        if (rc.toSequenceNumber(nextIndex) > 0 && tailer.moveToIndex(nextIndex - 1)) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (dc.isPresent() && dc.index() == nextIndex - 1) {
                    noteRead(dc.index(), dc.wire().bytes().readLimit());
                    return;
                }
            }
        }
        int cycle = rc.toCycle(nextIndex);
        if (!tailer.moveToIndex(nextIndex)) {
            if (Files.exists(segmentFile(cycle)) && !(rc.toSequenceNumber(nextIndex) == 0 && holdsNothing(cycle))) {
                scanFrom(cycle, nextIndex - 1); // Chronicle cannot get there (damage on the way): read the segment byte by byte
                return;
            }
            QueueEnds.toEnd(tailer, queue); // nothing written there yet
        }
        lastCycle = cycle;
        lastEnd = 0;
    }

    /** True if {@code cycle}'s segment holds nothing after its header: no record, no damage (the writer has just rolled into it). */
    private boolean holdsNothing(int cycle) {
        try (SegmentScanner sc = new SegmentScanner(segmentFile(cycle), rc.toIndex(cycle, 0), rc.maxMessagesPerCycle())) {
            return sc.next(0) instanceof SegmentScanner.End e && e.kind() == SegmentScanner.EndKind.ZEROS;
        } catch (IOException e) {
            return false;
        }
    }

    private void resumeAfter(long lastRead) {
        lastReturned = lastRead;
        if (tailer.moveToIndex(lastRead)) {
            try (DocumentContext dc = tailer.readingDocument()) {
                // consume the record already returned before the restart
                assert !dc.isPresent() || dc.index() == lastRead;
                if (dc.isPresent()) {
                    noteRead(dc.index(), dc.wire().bytes().readLimit());
                }
            }
        } else {
            // its segment was deleted (forced by a hard byte limit), or damage hides it: go on from the next one there
            scanFromIndex(lastRead + 1);
        }
    }

    /**
     * Moves to the first record of the oldest segment on disk. Chronicle's own {@code toStart()}
     * trusts the queue's directory listing, which can still name a segment retention just deleted.
     */
    private void toFirst() {
        for (JournalQueues.SegmentFile s : segments()) {
            if (tailer.moveToIndex(rc.toIndex(s.cycle(), 0))) {
                lastCycle = s.cycle();
                lastEnd = 0;
                return;
            }
            if (s.bytes() > 0) {
                if (holdsNothing(s.cycle()) && tailer.moveToCycle(s.cycle())) {
                    lastCycle = s.cycle(); // the writer has just rolled into it: its first record is still to come
                    lastEnd = 0;
                    return;
                }
                scanFrom(s.cycle(), -1); // the first record of this segment is damaged: read it byte by byte
                return;
            }
        }
        tailer.toStart();
    }

    private List<JournalQueues.SegmentFile> segments() {
        try {
            return JournalQueues.listSegments(dir, rollCycle);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the journal " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The next record, or null if none is there now. */
    public ReadRecord next() {
        checkOpen();
        if (pendingRecord != null) {
            ReadRecord r = pendingRecord;
            pendingRecord = null;
            return r;
        }
        while (true) {
            if (scanner != null) {
                ReadRecord r = nextScanned();
                if (r != null || scanner != null) {
                    return r;
                }
                continue; // the damaged segment is done: back to the tailer or the next segment
            }
            if (tailer == null) {
                // scan mode without Chronicle, between segments
                if (!scanNextSegment(scanCycle)) {
                    return null;
                }
                continue;
            }
            try {
                ReadRecord r = nextFromTailer();
                if (r != null || scanner != null) {
                    if (r != null) {
                        return r;
                    }
                    continue;
                }
                return null;
            } catch (JournalDamageException e) {
                throw e;
            } catch (RuntimeException | InternalError | AssertionError e) {
                // Chronicle failed on damaged bytes (a truncated segment faults its mapping): read on byte by byte
                int cycle = lastCycle != Integer.MIN_VALUE ? lastCycle : firstCycleOnDisk();
                long from = lastCycle != Integer.MIN_VALUE ? lastEnd : 0;
                dropTailer();
                if (cycle == Integer.MIN_VALUE) {
                    return null;
                }
                scanFromPosition(cycle, from, lastReturned);
            }
        }
    }

    private ReadRecord nextFromTailer() {
        while (true) {
            boolean none;
            try (DocumentContext dc = tailer.readingDocument()) {
                none = !dc.isPresent();
                if (!none) {
                    if (dc.isMetaData()) {
                        continue;
                    }
                    ReadRecord r = decode(dc);
                    if (r != null || scanner != null) {
                        return r;
                    }
                    continue;
                }
            }
            // with the reading context closed: the check may move the tailer
            if (!checkStuck() || scanner != null) {
                return null;
            }
        }
    }

    /** Decodes the record of {@code dc}; null if the cursor switched to reading byte by byte instead. */
    private ReadRecord decode(DocumentContext dc) {
        long index = dc.index();
        if (lastCycle != Integer.MIN_VALUE && rc.toCycle(index) != lastCycle && !segmentTailIsClean(lastCycle, lastEnd)) {
            // what Chronicle stepped over at the end of the previous segment: read it byte by byte, then
            // come back to this segment through the tailer
            scanFromPosition(lastCycle, lastEnd, lastReturned);
            return null;
        }
        Bytes<?> bytes = dc.wire().bytes();
        long start = bytes.readPosition();
        long end = bytes.readLimit();
        LogRecord r;
        if (index <= lastReturned) {
            return null; // returned before the cursor moved back to reread a segment
        }
        try {
            if (end - start > RecordCodec.CHECK_BEFORE_COPY_BYTES && end > segmentBytes(rc.toCycle(index))) {
                // a damaged header can claim any length: one past the file's end is not copied (a reader's
                // heap held a 268 MB "record" and ran out), the byte-by-byte walk steps over it
                throw new CorruptRecordException("excerpt of " + (end - start) + " bytes runs past the end of its segment");
            }
            r = codec.read(bytes);
        } catch (CorruptRecordException e) {
            // the excerpt's header may be the damaged part, hiding records inside the length it claims:
            // let the byte-by-byte reader decide where the damage ends and report it
            scanFromPosition(rc.toCycle(index), start - 4, lastReturned);
            return null;
        }
        if (codec.lastChecked() && codec.lastIndex() != index) {
            // Chronicle counted excerpts over damage and lost count: trust the records' own indexes
            int cycle = rc.toCycle(index);
            scanFromPosition(cycle, lastCycle == cycle ? lastEnd : 0, lastReturned);
            return null;
        }
        int cycle = rc.toCycle(index);
        int missing = lastCycle != Integer.MIN_VALUE && cycle > lastCycle ? missingBefore(cycle, lastCycle) : Integer.MIN_VALUE;
        noteRead(index, end);
        markRead(index);
        if (bytes.bytesStore() instanceof MappedBytesStore m) {
            passed.passed(m, end);
        }
        ReadRecord rr = new ReadRecord(index, r);
        if (missing != Integer.MIN_VALUE) {
            // Chronicle goes on to the next segment there is without a word: say what is gone, then this record
            pendingRecord = rr;
            throw new JournalDamageException(segmentFile(missing), 0, 0, -1, -1, "segment is missing: "
                    + segmentFile(cycle).getFileName() + " says it was written after it; its records are lost");
        }
        return rr;
    }

    /**
     * The segment the writer wrote before {@code cycle}'s (its link, after the first record, says which),
     * when that is after {@code from}, the segment read last, and so gone from between them (deleted or
     * lost); MIN_VALUE when none is (or the segment has no link: written before links were). Read once
     * per segment a reader enters, not per record.
     */
    private int missingBefore(int cycle, int from) {
        try (SegmentScanner sc = new SegmentScanner(segmentFile(cycle), rc.toIndex(cycle, 0), rc.maxMessagesPerCycle())) {
            // the writer puts the link in right after the segment's first record
            for (int i = 0; i < 3 && sc.previousCycle() == Integer.MIN_VALUE; i++) {
                if (!(sc.next(false) instanceof SegmentScanner.Rec)) {
                    break;
                }
            }
            int previous = sc.previousCycle();
            return previous > from && previous < cycle && !Files.exists(segmentFile(previous)) ? previous : Integer.MIN_VALUE;
        } catch (IOException e) {
            return Integer.MIN_VALUE;
        }
    }

    /** The size of {@code cycle}'s segment file, or MAX_VALUE if it cannot be read (nothing is refused then). */
    private long segmentBytes(int cycle) {
        try {
            return Files.size(segmentFile(cycle));
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Whether nothing but the segment's end follows byte {@code from} of {@code cycle}'s segment (the end
     * of the last record read there). Checked when the tailer moves on to a later segment: Chronicle
     * steps over an excerpt whose header says metadata, so a segment's last record with that one bit
     * flipped would vanish without even an index gap to show for it. Cheap: usually one read of the
     * end marker, once per segment.
     */
    private boolean segmentTailIsClean(int cycle, long from) {
        try (SegmentScanner sc = new SegmentScanner(segmentFile(cycle), rc.toIndex(cycle, 0), rc.maxMessagesPerCycle())) {
            sc.seek(from, lastReturned);
            return sc.next(0) instanceof SegmentScanner.End;
        } catch (IOException e) {
            return true; // deleted by retention meanwhile, or unreadable: nothing to add to what Chronicle read
        }
    }

    private void noteRead(long index, long end) {
        lastCycle = rc.toCycle(index);
        lastEnd = (end + 3) & ~3L;
    }

    private void markRead(long index) {
        lastReturned = index;
        if (position != null && !commitOnly) {
            position.lastRead(index);
        }
    }

    /**
     * The tailer has nothing. If its segment's write position says there is more, or a later segment
     * exists while the tailer waits for an end-of-cycle marker, look at the bytes: damage in between
     * switches this cursor to reading the segment byte by byte.
     */
    private boolean checkStuck() {
        int cycle;
        long from;
        boolean fresh = lastCycle == Integer.MIN_VALUE;
        if (lastCycle != Integer.MIN_VALUE) {
            cycle = lastCycle;
            from = lastEnd;
        } else {
            cycle = firstCycleOnDisk();
            from = 0;
            if (cycle == Integer.MIN_VALUE) {
                return false;
            }
            if (tailer.moveToIndex(rc.toIndex(cycle, 0))) {
                // The journal's first segment came after the tailer was made, and Chronicle's listing of
                // the directory has not caught up with it: point the tailer at its first record. (Read byte
                // by byte instead, a reader opened on a new journal cost ~10 µs a record and fell behind.)
                lastCycle = cycle;
                lastEnd = 0;
                return true;
            }
        }
        long now = System.nanoTime();
        if (from == checkedPosition && cycle == checkedCycle && now - nextCheck < 0) {
            return false; // looked here a moment ago
        }
        checkedPosition = from;
        checkedCycle = cycle;
        nextCheck = now + CHECK_INTERVAL_NANOS;
        long writePosition = writePosition(cycle);
        boolean later = laterSegmentSeen(cycle, now);
        if (!later && writePosition >= 0 && writePosition < from) {
            return false; // the last excerpt written is behind us: nothing more yet
        }
        long lookTo = later || writePosition < 0 ? Long.MAX_VALUE : writePosition + 4;
        Path file = segmentFile(cycle);
        try (SegmentScanner probe = new SegmentScanner(file, rc.toIndex(cycle, 0), rc.maxMessagesPerCycle())) {
            probe.seek(from, lastReturned);
            while (true) {
                SegmentScanner.Step s = probe.next(lookTo, !later && writePosition < 0);
                // the next record (the segment's first when this cursor has read none) written just after
                // the tailer looked: let the tailer read it
                if (s instanceof SegmentScanner.Rec r && retriedAt != from
                        && (r.position() == from || fresh && r.index() == rc.toIndex(cycle, 0))) {
                    retriedAt = from;
                    checkedPosition = -1;
                    return true;
                }
                if (s instanceof SegmentScanner.Rec r && r.index() <= lastReturned) {
                    continue;
                }
                if (s instanceof SegmentScanner.End e) {
                    if (e.kind() == SegmentScanner.EndKind.ZEROS && writePosition > e.position()
                            || e.kind() == SegmentScanner.EndKind.FILE_END && writePosition >= e.position()) {
                        break; // zeros or the file's end where Chronicle wrote an excerpt: damage, reported by the scan
                    }
                    // at the end: if the segment ended without Chronicle's end marker, go on with the next one
                    return later && scanNextSegment(cycle);
                }
                break;
            }
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        scanFromPosition(cycle, from, lastReturned);
        return true;
    }

    /** Chronicle's write position (the last excerpt's header) in {@code cycle}'s segment, -1 if unknown. */
    private long writePosition(int cycle) {
        if (queue == null || !chronicleCanRead(cycle)) {
            return -1;
        }
        try {
            if (heldStore == null || heldStoreCycle != cycle) {
                releaseHeldStore();
                heldStore = queue.storeForCycle(cycle, queue.epoch(), false, null);
                heldStoreCycle = cycle;
            }
            return heldStore == null ? -1 : heldStore.writePosition();
        } catch (RuntimeException | InternalError e) {
            releaseHeldStore();
            return -1;
        }
    }

    /** Lets go of the store {@link #writePosition} keeps (before the queue closes, or for another cycle). */
    private void releaseHeldStore() {
        SingleChronicleQueueStore s = heldStore;
        heldStore = null;
        if (s != null && queue != null) {
            try {
                queue.closeStore(s);
            } catch (RuntimeException | InternalError ignored) {
                // released for good either way
            }
        }
    }

    /**
     * False for a segment file without a Chronicle header: Chronicle would wait its full timeout on it.
     * Only a header found is remembered: a segment the writer is creating has none for a moment.
     */
    private boolean chronicleCanRead(int cycle) {
        if (headerChecked.contains(cycle)) {
            return true;
        }
        boolean ok = SegmentScanner.hasChronicleHeader(segmentFile(cycle));
        if (ok) {
            headerChecked.add(cycle);
        }
        return ok;
    }

    /** Starts reading {@code cycle}'s segment byte by byte from {@code from}, skipping records up to {@code skip}. */
    private void scanFromPosition(int cycle, long from, long skip) {
        scanFrom(cycle, skip);
        if (scanner != null) {
            scanner.seek(from, skip);
            // from the segment's start, or from right after the record last returned in it
            boolean afterSkip = skip >= rc.toIndex(cycle, 0) && rc.toCycle(skip) == cycle;
            lastSeen = from == 0 ? rc.toIndex(cycle, 0) - 1 : afterSkip ? skip : -1;
            lastSeenEnd = from;
        }
    }

    /** Starts reading {@code cycle}'s segment byte by byte from its start, skipping records up to {@code skip}. */
    private void scanFrom(int cycle, long skip) {
        closeScanner();
        checkedPosition = -1; // the scan looks at its end afresh
        scanCycle = cycle;
        skipUpTo = skip;
        pendingBad = null;
        lastLookAhead = 0;
        lastSeen = rc.toIndex(cycle, 0) - 1; // the walk starts at the segment's first byte: sequence 0 comes first
        lastSeenEnd = 0;
        Path file = segmentFile(cycle);
        try {
            scanner = new SegmentScanner(file, rc.toIndex(cycle, 0), rc.maxMessagesPerCycle());
        } catch (NoSuchFileException e) {
            scanner = null; // deleted meanwhile: the caller moves on to the next segment
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The next record of the segment being scanned; null with the scanner still set if none now, null without it when the segment is done. */
    private ReadRecord nextScanned() {
        try {
            while (true) {
                long wpBefore = writePosition(scanCycle);
                SegmentScanner.Step s = scanner.next(0);
                boolean later = false;
                if (s instanceof SegmentScanner.End e && e.kind() != SegmentScanner.EndKind.EOF_MARKER) {
                    // nothing more here for now; is there more after damage, or a later segment?
                    long now = System.nanoTime();
                    if (e.position() == checkedPosition && scanCycle == checkedCycle && now - nextCheck < 0) {
                        return null;
                    }
                    checkedPosition = e.position();
                    checkedCycle = scanCycle;
                    nextCheck = now + CHECK_INTERVAL_NANOS;
                    later = laterCycle(scanCycle) != Integer.MIN_VALUE;
                    long wp = writePosition(scanCycle);
                    if (later || wp >= e.position() || queue == null) {
                        // Up to Chronicle's last complete excerpt, everything is written; without it (no
                        // Chronicle) and no later segment, the writer may be appending right here.
                        boolean bounded = !later && wp >= 0;
                        s = scanner.next(bounded ? wp + 4 : Long.MAX_VALUE, !later && !bounded);
                    }
                }
                if (s instanceof SegmentScanner.Rec r) {
                    long seen = lastSeen;
                    long seenEnd = lastSeenEnd;
                    if (r.checked()) {
                        lastSeen = r.index();
                        lastSeenEnd = r.end();
                    } else {
                        lastSeen = -1; // version 1 records are counted, not stored with their index
                    }
                    if (r.index() <= skipUpTo || r.record().receiveTimeNanos() < skipBeforeTime) {
                        pendingBad = null; // damage before the start, or reported already
                        continue;
                    }
                    skipBeforeTime = Long.MIN_VALUE;
                    ReadRecord rr = new ReadRecord(r.index(), r.record());
                    long firstMissing = Math.max(seen + 1, skipUpTo + 1);
                    if (pendingBad == null && r.checked() && seen != -1 && r.index() > firstMissing) {
                        JournalDamageException d = new JournalDamageException(segmentFile(scanCycle), seenEnd,
                                Math.max(0, r.position() - seenEnd), firstMissing, r.index() - 1,
                                "index " + r.index() + " follows index " + seen + " with nothing between that reads as"
                                        + " damage: the records between are missing");
                        markRead(r.index());
                        skipUpTo = r.index();
                        pendingRecord = rr;
                        throw d;
                    }
                    if (pendingBad != null) {
                        JournalDamageException d = damage(pendingBad, r.checked() ? r.index() - 1 : -1);
                        pendingBad = null;
                        markRead(r.index());
                        skipUpTo = r.index();
                        pendingRecord = rr;
                        throw d;
                    }
                    markRead(r.index());
                    skipUpTo = r.index();
                    return rr;
                }
                if (s instanceof SegmentScanner.Bad b) {
                    pendingBad = pendingBad == null ? b : new SegmentScanner.Bad(pendingBad.from(), b.to(), pendingBad.reason());
                    continue;
                }
                SegmentScanner.End e = (SegmentScanner.End) s;
                long wp = writePosition(scanCycle);
                SegmentScanner.Bad bad = pendingBad;
                pendingBad = null;
                // zeros before Chronicle's last excerpt (read before the scan; a live writer moves it on), or
                // the file's end at or before it: records that were written are gone
                if (bad == null && (e.kind() == SegmentScanner.EndKind.ZEROS && wpBefore > e.position()
                        || e.kind() == SegmentScanner.EndKind.FILE_END && wp >= e.position())
                        && zeroReported != e.position()) {
                    zeroReported = e.position(); // the data ends before Chronicle's last excerpt: lost records
                    bad = new SegmentScanner.Bad(e.position(), Math.max(wp + 4, e.position()),
                            e.kind() == SegmentScanner.EndKind.FILE_END
                                    ? "the file ends where the segment's write position says an excerpt was written: truncated"
                                    : "zeros where the segment's write position says an excerpt was written");
                }
                int cycle = scanCycle;
                if (e.kind() == SegmentScanner.EndKind.EOF_MARKER || later) {
                    closeScanner();
                    scanNextSegment(cycle);
                }
                if (bad != null) {
                    throw damage(bad, -1, cycle);
                }
                if (scanner != null && scanCycle != cycle) {
                    continue; // the next segment, also byte by byte
                }
                return null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + scanner.file() + ": " + e.getMessage(), e);
        }
    }

    private JournalDamageException damage(SegmentScanner.Bad b, long lastLost) {
        return damage(b, lastLost, scanCycle);
    }

    private JournalDamageException damage(SegmentScanner.Bad b, long lastLost, int cycle) {
        long first = Math.max(lastReturned + 1, rc.toIndex(cycle, 0));
        if (lastLost >= 0 && lastLost < first) {
            return new JournalDamageException(segmentFile(cycle), b.from(), b.bytes(), -1, -1,
                    b.reason() + " (no record lost)");
        }
        return new JournalDamageException(segmentFile(cycle), b.from(), b.bytes(), first, lastLost, b.reason());
    }

    /**
     * Moves on to the segment after {@code cycle}: through the tailer where Chronicle can read it,
     * else byte by byte. False if there is none (yet).
     */
    private boolean scanNextSegment(int cycle) {
        int next = laterCycle(cycle);
        if (next == Integer.MIN_VALUE) {
            if (tailer == null && scanner == null) {
                scanCycle = cycle; // remember where we are; a later segment may still come
            }
            return false;
        }
        closeScanner();
        if (tailer != null && chronicleCanRead(next)) {
            try {
                if (tailer.moveToIndex(rc.toIndex(next, 0))) {
                    lastCycle = next;
                    lastEnd = 0;
                    return true;
                }
            } catch (RuntimeException | InternalError e) {
                dropTailer();
            }
        }
        scanFrom(next, lastReturned);
        return true;
    }

    /**
     * Whether a segment after {@code cycle}'s is on disk, listing the directory at most once per
     * {@link #CHECK_INTERVAL_NANOS} for one cycle: a follower that catches up with the writer asks on
     * every catch-up, and a listing parses every segment's name. A segment that appears is seen within
     * that interval (it matters only for one that ended without Chronicle's end marker: at an
     * ordinary roll the tailer moves on by itself).
     */
    private boolean laterSegmentSeen(int cycle, long now) {
        if (cycle != laterCheckedCycle || !laterSeen && now - laterCheckedAt >= CHECK_INTERVAL_NANOS) {
            laterSeen = laterCycle(cycle) != Integer.MIN_VALUE;
            laterCheckedCycle = cycle;
            laterCheckedAt = now;
        }
        return laterSeen;
    }

    private int laterCycle(int cycle) {
        int best = Integer.MIN_VALUE;
        for (JournalQueues.SegmentFile s : segments()) {
            if (s.cycle() > cycle) {
                return s.cycle();
            }
        }
        return best;
    }

    private int firstCycleOnDisk() {
        List<JournalQueues.SegmentFile> segs = segments();
        return segs.isEmpty() ? Integer.MIN_VALUE : segs.get(0).cycle();
    }

    private Path segmentFile(int cycle) {
        return JournalQueues.segmentFile(dir, rollCycle, cycle);
    }

    private void closeScanner() {
        if (scanner != null) {
            try {
                scanner.close();
            } catch (IOException ignored) {
                // read-only file
            }
            scanner = null;
        }
    }

    // ---- positioning without Chronicle (its metadata is unreadable, or damage is in the way)

    private void scanPosition(Start start, long arg) {
        List<JournalQueues.SegmentFile> segs = segments();
        if (segs.isEmpty()) {
            scanCycle = Integer.MIN_VALUE;
            return;
        }
        switch (start) {
            case START -> scanFrom(segs.get(0).cycle(), -1);
            case INDEX -> scanFromIndex(arg);
            case TIME -> {
                scanFrom(segs.get(0).cycle(), -1);
                skipBeforeTime = arg;
            }
            case END -> scanFromIndex(lastIndexScanned(segs, 1) + 1);
            case LAST -> {
                if (arg <= 0) {
                    scanFromIndex(lastIndexScanned(segs, 1) + 1);
                } else {
                    long from = lastIndexScanned(segs, arg);
                    scanFromIndex(from < 0 ? 0 : from);
                }
            }
        }
    }

    /** Starts byte-by-byte reading at the first record with an index at or after {@code index}. */
    private void scanFromIndex(long index) {
        int cycle = rc.toCycle(index);
        for (JournalQueues.SegmentFile s : segments()) {
            if (s.cycle() >= cycle) {
                scanFrom(s.cycle(), s.cycle() == cycle ? index - 1 : -1);
                lastReturned = index - 1;
                return;
            }
        }
        List<JournalQueues.SegmentFile> segs = segments();
        if (!segs.isEmpty()) {
            scanFrom(segs.get(segs.size() - 1).cycle(), index - 1);
            lastReturned = index - 1;
        }
    }

    /** The index of the {@code n}-th record from the end, found by reading segments byte by byte from the last; -1 if none. */
    private long lastIndexScanned(List<JournalQueues.SegmentFile> segs, long n) {
        ArrayDeque<Long> ring = new ArrayDeque<>();
        long need = n;
        for (int i = segs.size() - 1; i >= 0 && need > 0; i--) {
            List<Long> indexes = new ArrayList<>();
            JournalQueues.SegmentFile s = segs.get(i);
            try (SegmentScanner sc = new SegmentScanner(s.file(), rc.toIndex(s.cycle(), 0), rc.maxMessagesPerCycle())) {
                for (SegmentScanner.Step st; !((st = sc.next(true)) instanceof SegmentScanner.End); ) {
                    if (st instanceof SegmentScanner.Rec r) {
                        indexes.add(r.index());
                    }
                }
            } catch (NoSuchFileException e) {
                continue;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + s.file() + ": " + e.getMessage(), e);
            }
            for (int k = indexes.size() - 1; k >= 0 && need > 0; k--, need--) {
                ring.addFirst(indexes.get(k));
            }
        }
        return ring.isEmpty() ? -1 : ring.peekFirst();
    }

    /**
     * True while this cursor reads a segment byte by byte (damage, or no Chronicle) rather than
     * through Chronicle's tailer: correct either way, but byte by byte costs more per record.
     */
    public boolean readingBytes() {
        return scanner != null || tailer == null;
    }

    /** The index of the next record this cursor will return once written (for diagnostics). */
    public long index() {
        checkOpen();
        return tailer != null && scanner == null ? tailer.index() : lastReturned + 1;
    }

    /** The first index in the journal, or -1 if it is empty. */
    public long firstIndex() {
        if (queue != null) {
            long i = queue.firstIndex();
            return i == Long.MAX_VALUE ? -1 : i;
        }
        int c = firstCycleOnDisk();
        return c == Integer.MIN_VALUE ? -1 : rc.toIndex(c, 0);
    }

    /**
     * Saves {@code index} as the position of a reader opened with {@code commitOnly}: the last
     * record its consumer has finished with.
     */
    public void commit(long index) {
        checkOpen();
        if (!commitOnly) {
            throw new IllegalStateException("commit is for a named reader whose position is saved on commit");
        }
        position.lastRead(index);
    }

    /**
     * The number of records in the journal with an index above {@code index} (every record for -1),
     * from Chronicle's indexes; -1 when unknown (the journal is read byte by byte because of damage).
     */
    public long recordsAfter(long index) {
        checkOpen();
        if (queue == null) {
            return -1;
        }
        try {
            long last = QueueEnds.lastIndex(queue);
            if (last < 0 || last <= index) {
                return 0;
            }
            long first = queue.firstIndex();
            long from = Math.max(index + 1, first);
            return queue.countExcerpts(from, last) + 1;
        } catch (RuntimeException | InternalError e) {
            return -1;
        }
    }

    /** Flushes a named reader's position to disk; a no-op for an unnamed reader. */
    public void forcePosition() {
        if (position != null) {
            position.force();
        }
    }

    private void seekLast(long n) {
        if (n <= 0) {
            QueueEnds.toEnd(tailer, queue);
            settle(tailer.index());
            return;
        }
        boolean any = QueueEnds.toLast(tailer, queue);
        long idx = -1;
        long seen = 0;
        while (any && seen < n) {
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
            QueueEnds.toEnd(tailer, queue);
            if (seen == 0 && firstCycleOnDisk() != Integer.MIN_VALUE && lastIndexScanned(segments(), 1) >= 0) {
                throw new IllegalStateException("Chronicle sees no record where the segments hold some");
            }
            settle(tailer.index());
            return;
        }
        if (!lastNAreSound(idx, n)) {
            throw new IllegalStateException("damage among the last " + n + " records");
        }
        settle(idx);
    }

    /**
     * Checks Chronicle's answer for the last {@code n} records, which its backward walk gives by
     * counting excerpts: from {@code idx} to the end of the journal, the segments must hold exactly
     * {@code n} sound records (or all there are) and nothing damaged.
     */
    private boolean lastNAreSound(long idx, long n) {
        if (!tailer.moveToIndex(idx)) {
            return false;
        }
        long from;
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent() || dc.index() != idx) {
                return false;
            }
            from = dc.wire().bytes().readPosition() - 4;
        }
        int cycle = rc.toCycle(idx);
        long count = 0;
        for (JournalQueues.SegmentFile s : segments()) {
            if (s.cycle() < cycle) {
                continue;
            }
            try (SegmentScanner sc = new SegmentScanner(s.file(), rc.toIndex(s.cycle(), 0), rc.maxMessagesPerCycle())) {
                if (s.cycle() == cycle) {
                    sc.seek(from, idx - 1);
                }
                for (SegmentScanner.Step st; !((st = sc.next(true)) instanceof SegmentScanner.End); ) {
                    if (st instanceof SegmentScanner.Bad) {
                        return false;
                    }
                    count++;
                }
            } catch (NoSuchFileException e) {
                continue;
            } catch (IOException e) {
                return false;
            }
        }
        return count == n || (count < n && firstIndex() == idx);
    }

    /**
     * Positions at the first record whose receive time is at or after {@code nanos}, by binary search:
     * over segments on their first record, then over sequence numbers within one segment. Receive
     * times are stamped before the records meet in the channel, so they are ordered only roughly;
     * with non-decreasing times this is exact.
     */
    private void seekTime(long nanos) {
        List<Integer> cycles = cycles();
        // last cycle whose first record is before the target
        int lo = 0;
        int hi = cycles.size() - 1;
        int candidate = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long t = firstTime(cycles.get(mid));
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
        long last = lastSequence(cycle);
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
            settle(rc.toIndex(cycle, a));
        } else if (candidate + 1 < cycles.size()) {
            settle(rc.toIndex(cycles.get(candidate + 1), 0));
        } else {
            QueueEnds.toEnd(tailer, queue);
            settle(tailer.index());
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

    /**
     * The receive time of the first readable record of {@code cycle}: through Chronicle, or, when
     * Chronicle cannot read the first one (damage), from the segment's bytes; MIN_VALUE if it has none.
     */
    private long firstTime(int cycle) {
        long t = timeAt(rc.toIndex(cycle, 0));
        if (t != Long.MIN_VALUE) {
            return t;
        }
        try (SegmentScanner sc = new SegmentScanner(segmentFile(cycle), rc.toIndex(cycle, 0), rc.maxMessagesPerCycle())) {
            for (SegmentScanner.Step st; !((st = sc.next(true)) instanceof SegmentScanner.End); ) {
                if (st instanceof SegmentScanner.Rec r) {
                    return r.record().receiveTimeNanos();
                }
            }
        } catch (IOException e) {
            return Long.MIN_VALUE;
        }
        return Long.MIN_VALUE;
    }

    /** The highest sequence present in {@code cycle}, -1 if none. */
    private long lastSequence(int cycle) {
        return QueueEnds.lastSequence(tailer, queue.rollCycle(), cycle);
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

    private void closeQuietly() {
        closeScanner();
        dropTailer();
        if (position != null) {
            position.close();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly();
    }
}
