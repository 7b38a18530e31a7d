package dev.logpipe.filesink.internal.codec;

import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.SyslogInfo;
import net.openhft.chronicle.bytes.Bytes;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The binary layout of one {@link LogRecord} inside a journal excerpt, version {@value #VERSION}:
 * each record carries its journal index and a CRC32C of its bytes, so damage is found and a reader
 * that lost its place knows where it is again. Version 1 records (no index, no checksum) are still
 * read. The layouts are specified byte by byte in {@code file-sink/FORMAT.md};
 * {@code RecordCodecGoldenTest} fails if they change by accident.
 *
 * <p>Threading: an instance keeps a scratch buffer, so it is confined to one thread. Use one per
 * writer thread and one per reader.
 */
public final class RecordCodec {

    /** The layout version written in the first byte of every record. */
    public static final int VERSION = 2;

    /** The oldest layout version this code reads (without a checksum to check). */
    public static final int OLDEST_READABLE = 1;

    /** Byte offset of the CRC32C (int32 little-endian) in a version 2 record. */
    public static final int CRC_OFFSET = 4;

    /** Byte offset of the journal index (int64 little-endian) in a version 2 record. */
    public static final int INDEX_OFFSET = 24;

    /** The smallest version 2 record: the fixed part, empty flags, four empty strings, no fields. */
    public static final int MIN_V2_BYTES = 32 + 6;

    private static final int V1_FIXED = 24;
    private static final int V2_FIXED = 32;

    /** Byte offset of the receive time (int64 little-endian) from the start of a record; fixed so time search reads 8 bytes. */
    public static final int RECEIVE_TIME_OFFSET = 8;

    /** Byte offset of the event time (int64 little-endian). */
    public static final int EVENT_TIME_OFFSET = 16;

    /** Byte offset of the marker that a syslog section follows the fields (1) or not (0). */
    public static final int SYSLOG_MARKER_OFFSET = 3;

    private static final int KIND_STRING = 0;
    private static final int KIND_JSON = 1;

    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** The record being encoded or decoded; encoding into an array and copying it in one call is far
     * cheaper than one bounds-checked Chronicle call per byte. */
    private byte[] buf = new byte[512];
    private int pos;
    /** The length of the record {@link #encodeBody} last encoded or {@link #adopt} copied. */
    private int encodedLength;
    /** Copy Latin-1 strings' own arrays ({@link StringBytes}) rather than reading them char by char. */
    private final boolean copyStringBytes;
    /** Reused: the JDK's CRC32C is an intrinsic (SSE4.2 / ARMv8 CRC instructions), and update on an array allocates nothing. */
    private final CRC32C crc = new CRC32C();
    /** What the last {@link #read}/{@link #decode} found besides the record. */
    private long lastIndex = -1;
    private int lastVersion;

    /** A codec that uses the fast string path when the JVM allows it. */
    public RecordCodec() {
        this(true);
    }

    /** {@code copyStringBytes=false} forces the per-character path, so tests can hold both to the same bytes. */
    RecordCodec(boolean copyStringBytes) {
        this.copyStringBytes = copyStringBytes && StringBytes.available();
    }

    /**
     * Appends {@code r}, stored with journal index {@code index}, at {@code out}'s write position.
     *
     * @return the number of bytes written
     */
    public long write(Bytes<?> out, LogRecord r, long index) {
        encodeBody(r);
        return writeEncoded(out, index);
    }

    /** Encodes {@code r} into this codec's buffer and returns its length ({@link #buffer()} holds it). */
    int encode(LogRecord r, long index) {
        int n = encodeBody(r);
        seal(index);
        return n;
    }

    /**
     * Encodes {@code r} into this codec's buffer, all but its journal index and checksum, and returns
     * its length: the writer learns the size before it asks the journal for room, and the index after.
     * {@link #writeEncoded} finishes it.
     */
    public int encodeBody(LogRecord r) {
        int n = encodeBody(r, r.flagBits());
        if (replacedSurrogate && (r.flagBits() & RecordFlag.INVALID_UTF8.bit()) == 0) {
            // a lone surrogate (a JSON "\ud800" escape, an application's broken String) became U+FFFD:
            // encode once more, flagged INVALID_UTF8 as invalid bytes from the wire are (rare)
            n = encodeBody(r, r.flagBits() | RecordFlag.INVALID_UTF8.bit());
        }
        return n;
    }

    private int encodeBody(LogRecord r, int flagBits) {
        pos = 0;
        replacedSurrogate = false;
        SyslogInfo sys = r.syslog();
        ensure(V2_FIXED);
        pos = putFixed(buf, r.level(), r.format(), sys != null, r.receiveTimeNanos(), r.eventTimeNanos());
        putVarint(flagBits & 0xFFFF_FFFFL);
        putString(r.host());
        putString(r.service());
        putString(r.source());
        putString(r.message());
        int fieldCount = r.fieldCount();
        putVarint(fieldCount);
        for (int i = 0; i < fieldCount; i++) {
            putString(r.fieldName(i));
            FieldValue v = r.fieldValue(i);
            ensure(1);
            buf[pos++] = (byte) (v.json() ? KIND_JSON : KIND_STRING);
            putString(v.text());
        }
        if (sys != null) {
            ensure(2);
            buf[pos++] = (byte) sys.facility();
            buf[pos++] = (byte) sys.severity();
            putString(sys.appName());
            putString(sys.procId());
            putString(sys.msgId());
            putString(sys.structuredData());
        }
        encodedLength = pos;
        return pos;
    }

    /**
     * Writes the fixed part of a version {@value #VERSION} record into {@code b[0, 32)}, the checksum
     * and journal index zero (set when the record is sealed); returns where the rest begins. The one
     * place the fixed part is laid out: {@link #encodeBody} and {@code EncodedRecord.Encoder} use it.
     */
    public static int putFixed(byte[] b, Level level, SourceFormat format, boolean syslog,
                               long receiveTimeNanos, long eventTimeNanos) {
        b[0] = (byte) VERSION;
        b[1] = (byte) level.ordinal();
        b[2] = (byte) format.ordinal();
        b[SYSLOG_MARKER_OFFSET] = (byte) (syslog ? 1 : 0);
        INT_LE.set(b, CRC_OFFSET, 0);
        LONG_LE.set(b, RECEIVE_TIME_OFFSET, receiveTimeNanos);
        LONG_LE.set(b, EVENT_TIME_OFFSET, eventTimeNanos);
        LONG_LE.set(b, INDEX_OFFSET, 0L);
        return V2_FIXED;
    }

    /**
     * Copies {@code body}, a record already in this layout with its index and checksum not yet set
     * (an {@code EncodedRecord}'s), as the record {@link #writeEncoded} seals and writes next; returns
     * its length. The copy is sealed, not {@code body}: an {@code EncodedRecord} stays as it was made.
     */
    public int adopt(byte[] body) {
        int n = body.length;
        if (n < MIN_V2_BYTES || body[0] != VERSION) {
            throw new IllegalArgumentException("not a version " + VERSION + " record body");
        }
        if (buf.length < n) {
            buf = new byte[Math.max(n, buf.length * 2)];
        }
        System.arraycopy(body, 0, buf, 0, n);
        encodedLength = n;
        return n;
    }

    /**
     * Gives the record {@link #encodeBody} last encoded its journal index and checksum and appends it
     * at {@code out}'s write position.
     *
     * @return the number of bytes written
     */
    public long writeEncoded(Bytes<?> out, long index) {
        seal(index);
        out.write(buf, 0, encodedLength);
        return encodedLength;
    }

    private void seal(long index) {
        byte[] b = buf;
        LONG_LE.set(b, INDEX_OFFSET, index);
        // one pass over the encoded bytes, skipping the checksum's own 4 bytes
        INT_LE.set(b, CRC_OFFSET, checksum(b, encodedLength));
    }

    /** The CRC32C of record bytes {@code b[0, n)} without the checksum field. */
    private int checksum(byte[] b, int n) {
        CRC32C c = crc;
        c.reset();
        c.update(b, 0, CRC_OFFSET);
        c.update(b, CRC_OFFSET + 4, n - CRC_OFFSET - 4);
        return (int) c.getValue();
    }

    /** The encode/decode buffer. */
    byte[] buffer() {
        return buf;
    }

    private void ensure(int more) {
        if (pos + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(pos + more, buf.length * 2));
        }
    }

    /** A string as its UTF-8 length (varint) and bytes. Optimistic: ASCII text, the usual case, is one
     * byte per char, so the length is known before the bytes; anything else is re-encoded as UTF-8. */
    private void putString(String s) {
        int len = s.length();
        ensure(len + 5);
        int varintAt = pos;
        putVarint(len);
        byte[] latin1 = copyStringBytes ? StringBytes.latin1(s) : null;
        boolean ascii = latin1 != null ? copyIfAscii(latin1, pos) : copyCharsIfAscii(s, pos);
        if (ascii) {
            pos += len;
        } else {
            pos = varintAt; // drop the optimistic length and any bytes copied after it
            putUtf8(s);
        }
    }

    /** Copies a Latin-1 string's bytes to {@code buf[at...]} if they are all ASCII; false otherwise. */
    private boolean copyIfAscii(byte[] latin1, int at) {
        if (!isAscii(latin1)) {
            return false;
        }
        System.arraycopy(latin1, 0, buf, at, latin1.length);
        return true;
    }

    /** Copies {@code s} char by char to {@code buf[at...]} while it is ASCII; false at the first char that is not. */
    private boolean copyCharsIfAscii(String s, int at) {
        byte[] b = buf;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return false;
            }
            b[at + i] = (byte) c;
        }
        return true;
    }

    /** Whether the last {@link #encodeBody} replaced a lone surrogate. */
    private boolean replacedSurrogate;

    private void putUtf8(String s) {
        // String.getBytes writes '?' for a lone surrogate, silently (two keys "k\udfff" and "k\ud800" became
        // one); the journal writes U+FFFD, as for invalid UTF-8 on the wire, and the record is flagged
        String t = withoutLoneSurrogates(s);
        if (t != s) {
            replacedSurrogate = true;
        }
        byte[] utf8 = t.getBytes(StandardCharsets.UTF_8);
        putVarint(utf8.length);
        ensure(utf8.length);
        System.arraycopy(utf8, 0, buf, pos, utf8.length);
        pos += utf8.length;
    }

    /** {@code s} with each lone surrogate replaced by U+FFFD; {@code s} itself when it has none. */
    static String withoutLoneSurrogates(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            if (paired) {
                i++;
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(s);
            }
            sb.setCharAt(i, '\uFFFD');
        }
        return sb == null ? s : sb.toString();
    }

    /**
     * True if no byte of {@code b} has the high bit set. Reads whole words, the last one overlapping
     * the one before, so a string of 8 or more bytes needs no byte-by-byte tail.
     */
    static boolean isAscii(byte[] b) {
        Boolean negatives = StringBytes.hasNegatives(b, b.length);
        if (negatives != null) {
            return !negatives;
        }
        return isAsciiByWords(b);
    }

    /** {@link #isAscii} without the JDK's intrinsic. */
    static boolean isAsciiByWords(byte[] b) {
        int len = b.length;
        long acc;
        if (len >= 8) {
            acc = (long) LONG_LE.get(b, len - 8);
            for (int i = 0; i < len - 8; i += 8) {
                acc |= (long) LONG_LE.get(b, i);
            }
        } else if (len >= 4) {
            acc = (int) INT_LE.get(b, 0) | (int) INT_LE.get(b, len - 4);
        } else {
            acc = 0;
            for (int i = 0; i < len; i++) {
                acc |= b[i];
            }
        }
        return (acc & 0x8080_8080_8080_8080L) == 0;
    }

    private void putVarint(long v) {
        ensure(10);
        pos = putVarint(buf, pos, v);
    }

    /**
     * Writes {@code v} as the layout's varint (7 bits a byte, low first) at {@code b[at]}, which has
     * room for 10 bytes; returns the position after it. Shared with {@code EncodedRecord.Encoder}.
     */
    public static int putVarint(byte[] b, int at, long v) {
        while ((v & ~0x7FL) != 0) {
            b[at++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        b[at++] = (byte) v;
        return at;
    }

    /**
     * Reads one record from {@code in}'s read position up to its read limit. Bytes after the last
     * section this version knows are ignored: later layouts may add sections at the end without
     * changing the version.
     *
     * @throws CorruptRecordException if the bytes are not a record of a version this code reads
     */
    public LogRecord read(Bytes<?> in) {
        long remaining = in.readRemaining();
        if (remaining > Integer.MAX_VALUE - 16) {
            throw new CorruptRecordException("record too large: " + remaining + " bytes");
        }
        int n = (int) remaining;
        if (n > CHECK_BEFORE_COPY_BYTES && n >= MIN_V2_BYTES && (in.readByte(in.readPosition()) & 0xFF) == VERSION) {
            checkInPieces(in, n);
        }
        if (buf.length < n) {
            buf = new byte[Math.max(n, buf.length * 2)];
        }
        in.read(buf, 0, n);
        return decode(buf, n);
    }

    /**
     * Above this size a version 2 record's checksum is checked in pieces before the record is copied:
     * a damaged excerpt header can claim hundreds of MB, which a reader's heap (`tail` has 128 MiB)
     * would not hold.
     */
    public static final int CHECK_BEFORE_COPY_BYTES = 1 << 20;

    /** Checks the checksum of the {@code n} bytes at {@code in}'s read position, 64 KiB at a time, moving nothing. */
    private static void checkInPieces(Bytes<?> in, int n) {
        long start = in.readPosition();
        boolean holds;
        try {
            holds = checksumHolds(n, (at, dst, len) -> {
                in.readPosition(start + at);
                in.read(dst, 0, len);
            });
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // reading memory does not fail
        } finally {
            in.readPosition(start);
        }
        if (!holds) {
            throw new CorruptRecordException("checksum mismatch over " + n + " bytes (checked before copying)");
        }
    }

    /** Where {@link #checksumHolds} reads a record from: {@code len} bytes at offset {@code at} into {@code dst}. */
    @FunctionalInterface
    public interface Source {
        void read(int at, byte[] dst, int len) throws java.io.IOException;
    }

    /**
     * Whether the version 2 record of {@code n} bytes that {@code source} holds has a good checksum,
     * read 64 KiB at a time: for a record too large to copy whole before it is known to be one.
     */
    public static boolean checksumHolds(int n, Source source) throws java.io.IOException {
        CRC32C c = new CRC32C();
        byte[] piece = new byte[64 << 10];
        int stored = 0;
        for (int done = 0; done < n; ) {
            int len = Math.min(piece.length, n - done);
            source.read(done, piece, len);
            if (done == 0) {
                stored = (int) INT_LE.get(piece, CRC_OFFSET);
                c.update(piece, 0, CRC_OFFSET);
                c.update(piece, CRC_OFFSET + 4, len - CRC_OFFSET - 4);
            } else {
                c.update(piece, 0, len);
            }
            done += len;
        }
        return (int) c.getValue() == stored;
    }

    /**
     * Checks and decodes the record in {@code b[0, limit)}. A version 2 record's checksum is checked
     * before anything else is read from it; a version 1 record has none.
     */
    LogRecord decode(byte[] b, int limit) {
        return decode(b, limit, true);
    }

    /**
     * Decodes a record body not yet sealed (its index and checksum not set): an {@code EncodedRecord}
     * before the writer took it. The checksum is not checked.
     */
    public LogRecord decodeUnsealed(byte[] b, int limit) {
        return decode(b, limit, false);
    }

    private LogRecord decode(byte[] b, int limit, boolean check) {
        this.src = b;
        this.limit = limit;
        pos = 0;
        lastIndex = -1;
        lastVersion = 0;
        try {
            if (limit < V1_FIXED) {
                throw new CorruptRecordException("record too short: " + limit + " bytes");
            }
            int version = b[0] & 0xFF;
            int fixed;
            if (version == VERSION) {
                if (limit < MIN_V2_BYTES) {
                    throw new CorruptRecordException("record too short: " + limit + " bytes");
                }
                int stored = (int) INT_LE.get(b, CRC_OFFSET);
                int actual = check ? checksum(b, limit) : stored;
                if (stored != actual) {
                    throw new CorruptRecordException(String.format(java.util.Locale.ROOT,
                            "checksum mismatch (stored %08x, computed %08x over %d bytes)", stored, actual, limit));
                }
                lastIndex = (long) LONG_LE.get(b, INDEX_OFFSET);
                fixed = V2_FIXED;
            } else if (version == 1) {
                fixed = V1_FIXED;
            } else if (version > VERSION && version < 16) {
                throw new CorruptRecordException("record layout version " + version
                        + " is newer than this logpipe reads (" + OLDEST_READABLE + "-" + VERSION + "); upgrade logpipe");
            } else {
                throw new CorruptRecordException("not a record (first byte " + version + ", expected layout version "
                        + OLDEST_READABLE + "-" + VERSION + ")");
            }
            lastVersion = version;
            int level = b[1] & 0xFF;
            int format = b[2] & 0xFF;
            int hasSyslog = b[3] & 0xFF;
            LogRecord.Builder rb = LogRecord.builder()
                    .receiveTimeNanos((long) LONG_LE.get(b, 8))
                    .eventTimeNanos((long) LONG_LE.get(b, 16))
                    .level(Level.ofOrdinal(level))
                    .format(SourceFormat.ofOrdinal(format));
            pos = fixed;
            rb.flagBits((int) getVarint());
            rb.host(getString());
            rb.service(getString());
            rb.source(getString());
            rb.message(getString());
            long count = getVarint();
            if (count > limit - pos) {
                throw new CorruptRecordException("field count " + count + " exceeds the record's size");
            }
            for (long i = 0; i < count; i++) {
                String name = getString();
                int kind = getByte();
                String text = getString();
                if (kind == KIND_STRING) {
                    rb.field(name, FieldValue.string(text));
                } else if (kind == KIND_JSON) {
                    rb.field(name, new FieldValue(text, true)); // written from a checked value: not parsed again
                } else {
                    throw new CorruptRecordException("unknown field kind " + kind);
                }
            }
            if (hasSyslog == 1) {
                int facility = getByte();
                int severity = getByte();
                rb.syslog(new SyslogInfo(facility, severity, getString(), getString(), getString(), getString()));
            } else if (hasSyslog != 0) {
                throw new CorruptRecordException("bad syslog marker " + hasSyslog);
            }
            return rb.build();
        } catch (CorruptRecordException e) {
            throw e;
        } catch (RuntimeException e) {
            // Level/SourceFormat/SyslogInfo refuse bad values
            throw new CorruptRecordException("undecodable record: " + e, e);
        }
    }

    /** The bytes being decoded, and where they end. */
    private byte[] src;
    private int limit;

    private int getByte() {
        if (pos >= limit) {
            throw new CorruptRecordException("record ends early at byte " + pos);
        }
        return src[pos++] & 0xFF;
    }

    private long getVarint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = getByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new CorruptRecordException("varint longer than 10 bytes");
    }

    private String getString() {
        long len = getVarint();
        if (len > limit - pos) {
            throw new CorruptRecordException("string length " + len + " exceeds the record's remaining "
                    + (limit - pos) + " bytes");
        }
        if (len == 0) {
            return "";
        }
        int n = (int) len;
        String s = new String(src, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    /** The journal index stored in the last record read, or -1 if it had none (version 1) or none was read. */
    public long lastIndex() {
        return lastIndex;
    }

    /** True if the last record read had a checksum and it matched (version 2); false for version 1. */
    public boolean lastChecked() {
        return lastVersion == VERSION;
    }

    /** Checks and decodes the record in {@code b[off, off + len)} (copied into this codec's buffer). */
    public LogRecord read(byte[] b, int off, int len) {
        if (buf.length < len) {
            buf = new byte[Math.max(len, buf.length * 2)];
        }
        System.arraycopy(b, off, buf, 0, len);
        return decode(buf, len);
    }

    /**
     * Reads only the receive time of the record starting at {@code in}'s read position, without
     * moving it (unchecked: the time search reads 8 bytes a probe; a damaged time only misplaces it).
     */
    public static long peekReceiveTimeNanos(Bytes<?> in) {
        long p = in.readPosition();
        int version = in.readRemaining() < RECEIVE_TIME_OFFSET + 8 ? -1 : in.readUnsignedByte(p);
        if (version < OLDEST_READABLE || version > VERSION) {
            throw new CorruptRecordException("not a version " + OLDEST_READABLE + "-" + VERSION + " record");
        }
        return in.readLong(p + RECEIVE_TIME_OFFSET);
    }
}
