package dev.logpipe.filesink.internal.scan;

import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.internal.codec.CorruptRecordException;
import dev.logpipe.filesink.internal.codec.RecordCodec;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Walks one Chronicle Queue segment file excerpt by excerpt with plain positional reads (never a
 * memory mapping, so a truncated file cannot fault the JVM), checks every record, and steps over
 * damage: when an excerpt header is zero, incomplete, garbled or points past the data while valid
 * records follow, it scans forward for the next excerpt that holds a record with a good checksum. A
 * header's length is never trusted over a record: one that runs past the end of the file, or a
 * metadata excerpt's that spans a record with a good checksum, is damage, and the walk goes on at
 * that record. A record whose header says "metadata" (one bit) is reported as damage and then
 * returned: Chronicle's readers step over it, this walk does not.
 *
 * <p>Chronicle's excerpt header is a 4-byte little-endian int at a 4-byte aligned position: bit 31
 * "not complete", bit 30 "metadata", bits 0-29 the length of the excerpt that follows; 0 means
 * nothing written yet and {@code 0xC0000000} marks the end of the cycle. Chronicle does not
 * checksum excerpts, which is why records carry their own ({@link RecordCodec}).
 *
 * <p>Threading: confined to one thread.
 */
public final class SegmentScanner implements AutoCloseable {

    /** Chronicle's header bits. */
    static final int NOT_COMPLETE = 0x8000_0000;
    static final int META_DATA = 0x4000_0000;
    static final int LENGTH_MASK = 0x3FFF_FFFF;
    static final int END_OF_DATA = 0xC000_0000;

    /** The largest metadata excerpt believed (Chronicle's headers and index arrays are far smaller). */
    private static final int MAX_META = 1 << 20;
    /** The largest record believed when scanning for the next valid one. */
    private static final int MAX_RECORD = 64 << 20;
    private static final int WINDOW = 64 << 10;

    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** What the scanner found next. */
    public sealed interface Step permits Rec, Bad, End {
    }

    /**
     * A record that decoded (and, from version 2 on, whose checksum matched).
     *
     * @param position its excerpt header's byte position
     * @param end the byte position after it (where the next header is)
     * @param index its journal index: stored in the record (version 2), else counted, -1 if unknown
     * @param record the record
     * @param checked true if its checksum was checked
     */
    public record Rec(long position, long end, long index, LogRecord record, boolean checked) implements Step {
    }

    /**
     * A damaged region {@code [from, to)} the scanner stepped over.
     *
     * @param from its first byte
     * @param to the byte after it: the next valid excerpt, or where the data ends
     * @param reason what is wrong there
     */
    public record Bad(long from, long to, String reason) implements Step {
        /** Its size in bytes. */
        public long bytes() {
            return to - from;
        }
    }

    /**
     * Where the data ends, for now (a live writer may add more at {@code position}).
     *
     * @param position where the next excerpt would start
     * @param kind why the scanner stopped there
     */
    public record End(long position, EndKind kind) implements Step {
    }

    /** Why a walk stopped. */
    public enum EndKind {
        /** Chronicle's end-of-cycle marker: the writer moved to a later segment. */
        EOF_MARKER,
        /** A zero header with nothing valid after it: the end of what was written. */
        ZEROS,
        /** An excerpt being written (or left unfinished by a writer that died). */
        INCOMPLETE,
        /** The file ends (a sound segment file is always longer than its data: it is truncated). */
        FILE_END
    }

    private final Path file;
    private final long cycleBase;
    private final long cycleMask;
    private final FileChannel ch;
    private final RecordCodec codec = new RecordCodec();
    private final byte[] window = new byte[WINDOW];
    private long windowStart = -1;
    private int windowLength;
    private long size;
    private long pos;
    private long lastIndex = -1;
    private byte[] body = new byte[4096];
    private int previousCycle = Integer.MIN_VALUE;
    /** A record found behind a header that says metadata, returned by the call after its damage. */
    private Rec pendingRec;

    /**
     * Opens {@code file} read-only.
     *
     * @param firstIndex the index of sequence 0 of this segment's cycle (used to count version 1 records
     *     and to check that version 2 records belong here)
     * @param maxIndex the highest index of the cycle
     */
    public SegmentScanner(Path file, long firstIndex, long maxIndex) throws IOException {
        this.file = file;
        this.cycleBase = firstIndex;
        this.cycleMask = maxIndex;
        this.ch = FileChannel.open(file, StandardOpenOption.READ);
        this.size = ch.size();
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /** The index of sequence 0 of this segment's cycle. */
    public long cycleFirstIndex() {
        return cycleBase;
    }

    /** The file's size when last looked at. */
    public long size() {
        return size;
    }

    /** The byte position of the next excerpt header to read. */
    public long position() {
        return pos;
    }

    /**
     * The cycle of the segment written before this one, from the link the writer puts into each new
     * segment ({@link SegmentLink}); MIN_VALUE if none was seen (yet), -1 if it was the journal's first.
     */
    public int previousCycle() {
        return previousCycle;
    }

    /**
     * True if the file starts with a Chronicle segment header (a metadata excerpt named
     * {@code header}); false for a file that is not a segment or whose first bytes are damaged.
     */
    public boolean hasSegmentHeader() throws IOException {
        if (size < 12) {
            return false;
        }
        int h = readInt(0);
        int len = h & LENGTH_MASK;
        if ((h & NOT_COMPLETE) != 0 || (h & META_DATA) == 0 || len < 8 || len > MAX_META) {
            return false;
        }
        byte[] b = new byte[8];
        read(4, b, 8);
        // Chronicle's binary wire: an event name (0xB9, length 6) "header"
        return (b[0] & 0xFF) == 0xB9 && b[1] == 6 && new String(b, 2, 6, java.nio.charset.StandardCharsets.US_ASCII).equals("header");
    }

    /**
     * Why Chronicle could not open segment {@code file} although it holds data (a header that is damaged
     * or cut short, with bytes after it); null when it can, or when it is all zeros (a segment whose
     * creation a crash interrupted: nothing in it to lose).
     */
    public static String unopenableWithData(Path file) {
        try (SegmentScanner sc = new SegmentScanner(file, 0, 0)) {
            String problem = null;
            if (!sc.hasSegmentHeader()) {
                problem = "has a damaged Chronicle header";
            } else {
                int len = sc.readInt(0) & LENGTH_MASK;
                if (4L + len > sc.size) {
                    problem = "is cut short inside its Chronicle header (" + sc.size + " bytes)";
                }
            }
            if (problem == null) {
                return null;
            }
            byte[] buf = new byte[1 << 16];
            for (long at = 0; at < sc.size; at += buf.length) {
                int n = (int) Math.min(buf.length, sc.size - at);
                sc.read(at, buf, n);
                for (int i = 0; i < n; i++) {
                    if (buf[i] != 0) {
                        return problem;
                    }
                }
            }
            return null;
        } catch (IOException e) {
            return "cannot be read (" + e.getMessage() + ")";
        }
    }

    /**
     * True if {@code file} starts with a Chronicle header (segments and {@code metadata.cq4t} both do).
     * Asking Chronicle about a file without one costs its full timeout before it gives up.
     */
    public static boolean hasChronicleHeader(Path file) {
        try (SegmentScanner sc = new SegmentScanner(file, 0, 0)) {
            return sc.hasSegmentHeader();
        } catch (IOException e) {
            return false;
        }
    }

    /** The index of the last record returned, -1 before the first. */
    public long lastIndex() {
        return lastIndex;
    }

    /**
     * The next record, damaged region or end, moving past it. At a zero or incomplete header, looks
     * ahead for valid records only if {@code lookAhead}: a reader at the live end of a segment must
     * not scan the rest of a sparse file on every poll.
     */
    public Step next(boolean lookAhead) throws IOException {
        return next(lookAhead ? Long.MAX_VALUE : 0);
    }

    /**
     * Like {@link #next(boolean)}, looking ahead at a zero or incomplete header for valid records
     * that start before byte {@code lookAheadTo} (0: not at all).
     */
    public Step next(long lookAheadTo) throws IOException {
        return next(lookAheadTo, false);
    }

    /**
     * Like {@link #next(long)}. With {@code live}, a writer may still be appending at the end of this
     * segment: a zero or unfinished header with nothing valid after it is the end for now, not damage,
     * however many non-zero bytes follow it (a record being written, its body partly there; one read
     * of the file can even see that body while its header still reads zero).
     */
    public Step next(long lookAheadTo, boolean live) throws IOException {
        if (pendingRec != null) {
            Rec r = pendingRec;
            pendingRec = null;
            return r;
        }
        boolean lookAhead = lookAheadTo > pos;
        while (true) {
            if (pos + 4 > size) {
                size = ch.size();
                if (pos + 4 > size) {
                    return new End(pos, EndKind.FILE_END);
                }
                windowStart = -1; // the file grew: what was read near its end may be stale
            }
            int h = readInt(pos);
            if (h == 0 || (h & NOT_COMPLETE) != 0 && h != END_OF_DATA) {
                // The header may come from a window read before a live writer got here: look again, fresh
                // (so a window kept after an End below is never trusted for this header on the next call).
                windowStart = -1;
                if (readInt(pos) != h) {
                    continue;
                }
                EndKind kind = h == 0 ? EndKind.ZEROS : EndKind.INCOMPLETE;
                if (!lookAhead) {
                    return new End(pos, kind);
                }
                long[] found = findNext(pos + 4, lookAheadTo);
                if (found[0] >= 0 || found[1] > pos + 4) {
                    // What lies ahead was read after this header: one read of the file can see a live
                    // writer's later bytes but not its earlier ones. A writer finishes a header before it
                    // writes past it, so read the header once more before calling it damage.
                    windowStart = -1;
                    if (readInt(pos) != h) {
                        continue;
                    }
                }
                if (found[0] >= 0) {
                    return skipTo(found[0], h == 0 ? "excerpt header is zero" : "unfinished excerpt");
                }
                if (found[1] > pos + 4 && !live) {
                    return skipTo(found[1], "unreadable bytes up to the end of the data");
                }
                return new End(pos, kind);
            }
            if (h == END_OF_DATA) {
                return new End(pos, EndKind.EOF_MARKER);
            }
            int len = h & LENGTH_MASK;
            boolean meta = (h & META_DATA) != 0;
            long next = align(pos + 4 + len);
            if (pos + 4 + len > size) {
                size = ch.size();
                windowStart = -1;
                if (pos + 4 + len > size) {
                    // A header damaged in its length claims any size: valid records after it mean the file goes
                    // on (only the header is damaged), not that it was cut short.
                    long[] after = findNext(pos + 4, size);
                    if (after[0] >= 0) {
                        return skipTo(after[0], "excerpt header " + hex(h) + " claims " + len
                                + " bytes, past the end of the file (" + size + " bytes), and records follow it");
                    }
                    Bad b = new Bad(pos, size, "excerpt of " + len + " bytes runs past the end of the file ("
                            + size + " bytes): truncated");
                    pos = size;
                    return b;
                }
            }
            if (meta) {
                if (len == 0 || len > MAX_META) {
                    return resync("implausible metadata header " + hex(h));
                }
                // One bit turns a record's header into a metadata one: Chronicle's readers step over it
                // without a trace, and a walk that trusts the bit loses the record (the segment's last
                // one without even an index gap to show for it). The record is intact: report the
                // header, then return the record.
                Rec flagged = len >= 24 ? recordAt(pos, len) : null;
                if (flagged != null) {
                    Bad b = new Bad(pos, pos + 4, "excerpt header " + hex(h) + " says metadata, but the record after it"
                            + " (index " + flagged.index() + ") is sound: readers that trust the header step over it");
                    lastIndex = flagged.index();
                    pos = next;
                    pendingRec = flagged;
                    return b;
                }
                // A damaged length can make a metadata excerpt (Chronicle's index array, say) swallow the
                // records after it, which a walk trusting it skips without a trace: a record that checks
                // inside the length it claims means the header is what is damaged.
                long[] inside = findNext(pos + 4, Math.min(next, size));
                if (inside[0] >= 0) {
                    return skipTo(inside[0], "metadata excerpt header " + hex(h) + " claims " + len
                            + " bytes, over records (its length is damaged)");
                }
                if (len == SegmentLink.LENGTH && previousCycle == Integer.MIN_VALUE) {
                    byte[] b = new byte[len];
                    read(pos + 4, b, len);
                    previousCycle = SegmentLink.previousCycle(b);
                }
                pos = next;
                continue;
            }
            if (len < 24) {
                return resync("implausible excerpt header " + hex(h));
            }
            Rec r = null;
            String problem;
            try {
                r = decodeAt(pos, len);
                problem = "record of another segment";
            } catch (CorruptRecordException e) {
                problem = e.getMessage();
                // Before calling it damage, read it once more, fresh: a reader following a live writer saw a
                // finished header over a body that did not check (its checksum read as zeros once), and reported
                // a sound record as damaged and skipped it; read again, it checked. A damaged record stays
                // damaged, so this costs a second read of damage only.
                windowStart = -1;
                if (readInt(pos) != h) {
                    continue;
                }
                try {
                    r = decodeAt(pos, len);
                    problem = "record of another segment";
                } catch (CorruptRecordException again) {
                    problem = again.getMessage();
                }
            }
            if (r != null) {
                lastIndex = r.index();
                pos = next;
                return r;
            }
            // A valid record inside the excerpt's claimed length means its header is what is damaged;
            // else the header may be sound and only the record damaged: the next excerpt starts after it.
            long[] inside = findNext(pos + 4, Math.min(next, size));
            if (inside[0] >= 0) {
                return skipTo(inside[0], "excerpt header " + hex(h) + " does not fit the data (" + problem + ")", pos);
            }
            if (plausibleAt(next)) {
                return skipTo(next, problem, pos);
            }
            return resync(problem);
        }
    }

    private Bad skipTo(long to, String reason) {
        return skipTo(to, reason, pos);
    }

    private Bad skipTo(long to, String reason, long from) {
        pos = to;
        return new Bad(from, to, reason);
    }

    /** Steps over a header that cannot be trusted: to the next valid record, or to the end of the non-zero bytes. */
    private Step resync(String reason) throws IOException {
        long from = pos;
        long[] found = findNext(pos + 4, Long.MAX_VALUE);
        if (found[0] >= 0) {
            return skipTo(found[0], reason, from);
        }
        long to = Math.max(found[1], align(from + 4));
        pos = to;
        return new Bad(from, to, reason + "; nothing readable after it");
    }

    /** True if an excerpt at {@code p} looks sound: a record that checks, a sane metadata header, the end marker, or zeros. */
    private boolean plausibleAt(long p) throws IOException {
        if (p + 4 > size) {
            return true;
        }
        int h = readInt(p);
        if (h == 0 || h == END_OF_DATA) {
            return true;
        }
        if ((h & NOT_COMPLETE) != 0) {
            return false;
        }
        int len = h & LENGTH_MASK;
        if ((h & META_DATA) != 0) {
            return len > 0 && len <= MAX_META && p + 4 + len <= size;
        }
        return validRecordAt(p);
    }

    /**
     * Scans 4-byte aligned positions from {@code from} for a data excerpt holding a valid record.
     *
     * @return {position found or -1, end of the last non-zero word seen}
     */
    private long[] findNext(long from, long to) throws IOException {
        long lastNonZero = -1;
        long limit = Math.min(size, to);
        for (long p = align(from); p + 4 <= limit; p += 4) {
            int h = readInt(p);
            if (h == 0) {
                continue;
            }
            lastNonZero = p + 4;
            if ((h & (NOT_COMPLETE | META_DATA)) == 0 && validRecordAt(p)) {
                return new long[] {p, lastNonZero};
            }
        }
        return new long[] {-1, lastNonZero};
    }

    private boolean validRecordAt(long p) throws IOException {
        int h = readInt(p);
        int len = h & LENGTH_MASK;
        if ((h & (NOT_COMPLETE | META_DATA)) != 0 || len < 24 || len > MAX_RECORD || p + 4 + len > size) {
            return false;
        }
        int version = readByte(p + 4);
        if (version != RecordCodec.VERSION && version != 1) {
            return false;
        }
        try {
            return decodeAt(p, len) != null;
        } catch (CorruptRecordException e) {
            return false;
        }
    }

    /** The checksummed record in the excerpt at {@code p} whatever its header says, or null if there is none. */
    private Rec recordAt(long p, int len) throws IOException {
        if (len > MAX_RECORD || p + 4 + len > size || readByte(p + 4) != RecordCodec.VERSION) {
            return null; // version 1 records carry no checksum: a metadata excerpt could pass for one
        }
        try {
            Rec r = decodeAt(p, len);
            return r != null && r.checked() ? r : null;
        } catch (CorruptRecordException e) {
            return null;
        }
    }

    /** Decodes the record of the excerpt at {@code p}; null if it is a record of another cycle. */
    private Rec decodeAt(long p, int len) throws IOException {
        if (len > RecordCodec.CHECK_BEFORE_COPY_BYTES && readByte(p + 4) == RecordCodec.VERSION
                && !RecordCodec.checksumHolds(len, (at, dst, n) -> read(p + 4 + at, dst, n))) {
            // a damaged header can claim hundreds of MB: checked in pieces rather than read into the heap
            throw new CorruptRecordException("checksum mismatch over " + len + " bytes (checked before reading them in)");
        }
        if (body.length < len) {
            body = new byte[Math.max(len, body.length * 2)];
        }
        read(p + 4, body, len);
        LogRecord r = codec.read(body, 0, len);
        long index;
        if (codec.lastChecked()) {
            index = codec.lastIndex();
            if (index < cycleBase || index > cycleBase + cycleMask) {
                return null;
            }
        } else {
            index = lastIndex < 0 ? cycleBase : lastIndex + 1; // version 1: counted
        }
        return new Rec(p, align(p + 4 + len), index, r, codec.lastChecked());
    }

    private int readInt(long p) throws IOException {
        fill(p, 4);
        return (int) INT_LE.get(window, (int) (p - windowStart));
    }

    private int readByte(long p) throws IOException {
        fill(p, 1);
        return window[(int) (p - windowStart)] & 0xFF;
    }

    private void read(long p, byte[] dst, int len) throws IOException {
        if (len <= WINDOW) {
            fill(p, len);
            System.arraycopy(window, (int) (p - windowStart), dst, 0, len);
            return;
        }
        ByteBuffer bb = ByteBuffer.wrap(dst, 0, len);
        long at = p;
        while (bb.hasRemaining()) {
            int n = ch.read(bb, at);
            if (n < 0) {
                throw new IOException("unexpected end of " + file);
            }
            at += n;
        }
    }

    /** Makes the window hold {@code [p, p + len)} (zeros past the end of the file). */
    private void fill(long p, int len) throws IOException {
        if (windowStart >= 0 && p >= windowStart && p + len <= windowStart + windowLength) {
            return;
        }
        windowStart = p & ~4095L;
        if (p + len > windowStart + WINDOW) {
            windowStart = p;
        }
        ByteBuffer bb = ByteBuffer.wrap(window);
        long at = windowStart;
        while (bb.hasRemaining()) {
            int n = ch.read(bb, at);
            if (n <= 0) {
                break;
            }
            at += n;
        }
        windowLength = bb.position();
        java.util.Arrays.fill(window, windowLength, WINDOW, (byte) 0);
        windowLength = WINDOW;
    }

    private static long align(long p) {
        return (p + 3) & ~3L;
    }

    private static String hex(int h) {
        return String.format("0x%08x", h);
    }

    /** Moves to {@code position}, which must be an excerpt header, counting version 1 indexes from {@code lastIndex}. */
    public void seek(long position, long lastIndex) {
        this.pos = position;
        this.lastIndex = lastIndex;
        this.windowStart = -1;
        this.pendingRec = null;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
