package dev.logpipe.filesink.internal.codec;

import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.SyslogInfo;
import net.openhft.chronicle.bytes.Bytes;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The binary layout of one {@link LogRecord} inside a journal excerpt, version {@value #VERSION}.
 * The layout is specified byte by byte in {@code file-sink/FORMAT.md}; {@code RecordCodecGoldenTest}
 * fails if it changes by accident.
 *
 * <p>Threading: an instance keeps a scratch buffer, so it is confined to one thread. Use one per
 * writer thread and one per reader.
 */
public final class RecordCodec {

    /** The layout version written in the first byte of every record. */
    public static final int VERSION = 1;

    /** Byte offset of the receive time (int64 little-endian) from the start of a record; fixed so time search reads 8 bytes. */
    public static final int RECEIVE_TIME_OFFSET = 8;

    private static final int KIND_STRING = 0;
    private static final int KIND_JSON = 1;

    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** The record being encoded or decoded; encoding into an array and copying it in one call is far
     * cheaper than one bounds-checked Chronicle call per byte. */
    private byte[] buf = new byte[512];
    private int pos;
    /** Copy Latin-1 strings' own arrays ({@link StringBytes}) rather than reading them char by char. */
    private final boolean copyStringBytes;

    /** A codec that uses the fast string path when the JVM allows it. */
    public RecordCodec() {
        this(true);
    }

    /** {@code copyStringBytes=false} forces the per-character path, so tests can hold both to the same bytes. */
    RecordCodec(boolean copyStringBytes) {
        this.copyStringBytes = copyStringBytes && StringBytes.available();
    }

    /**
     * Appends {@code r} at {@code out}'s write position.
     *
     * @return the number of bytes written
     */
    public long write(Bytes<?> out, LogRecord r) {
        int n = encode(r);
        out.write(buf, 0, n);
        return n;
    }

    /** Encodes {@code r} into this codec's buffer and returns its length ({@link #buffer()} holds it). */
    int encode(LogRecord r) {
        pos = 0;
        SyslogInfo sys = r.syslog();
        ensure(24);
        buf[0] = (byte) VERSION;
        buf[1] = (byte) r.level().ordinal();
        buf[2] = (byte) r.format().ordinal();
        buf[3] = (byte) (sys == null ? 0 : 1);
        buf[4] = 0; // reserved, keeps the two times 8-byte aligned within the record
        buf[5] = 0;
        buf[6] = 0;
        buf[7] = 0;
        LONG_LE.set(buf, 8, r.receiveTimeNanos());
        LONG_LE.set(buf, 16, r.eventTimeNanos());
        pos = 24;
        putVarint(r.flagBits() & 0xFFFF_FFFFL);
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
        return pos;
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

    private void putUtf8(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        putVarint(utf8.length);
        ensure(utf8.length);
        System.arraycopy(utf8, 0, buf, pos, utf8.length);
        pos += utf8.length;
    }

    /**
     * True if no byte of {@code b} has the high bit set. Reads whole words, the last one overlapping
     * the one before, so a string of 8 or more bytes needs no byte-by-byte tail.
     */
    static boolean isAscii(byte[] b) {
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
        while ((v & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
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
        if (buf.length < n) {
            buf = new byte[Math.max(n, buf.length * 2)];
        }
        in.read(buf, 0, n);
        return decode(buf, n);
    }

    /** Decodes the record in {@code b[0, limit)}. */
    LogRecord decode(byte[] b, int limit) {
        this.limit = limit;
        pos = 0;
        try {
            if (limit < 24) {
                throw new CorruptRecordException("record too short: " + limit + " bytes");
            }
            int version = b[0] & 0xFF;
            if (version != VERSION) {
                throw new CorruptRecordException("unknown record layout version " + version
                        + " (this logpipe reads version " + VERSION + "); upgrade logpipe");
            }
            int level = b[1] & 0xFF;
            int format = b[2] & 0xFF;
            int hasSyslog = b[3] & 0xFF;
            LogRecord.Builder rb = LogRecord.builder()
                    .receiveTimeNanos((long) LONG_LE.get(b, 8))
                    .eventTimeNanos((long) LONG_LE.get(b, 16))
                    .level(Level.ofOrdinal(level))
                    .format(SourceFormat.ofOrdinal(format));
            pos = 24;
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
                    rb.field(name, FieldValue.json(text));
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

    private int limit;

    private int getByte() {
        if (pos >= limit) {
            throw new CorruptRecordException("record ends early at byte " + pos);
        }
        return buf[pos++] & 0xFF;
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
        String s = new String(buf, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    /** Reads only the receive time of the record starting at {@code in}'s read position, without moving it. */
    public static long peekReceiveTimeNanos(Bytes<?> in) {
        long p = in.readPosition();
        if (in.readRemaining() < RECEIVE_TIME_OFFSET + 8 || in.readUnsignedByte(p) != VERSION) {
            throw new CorruptRecordException("not a version " + VERSION + " record");
        }
        return in.readLong(p + RECEIVE_TIME_OFFSET);
    }
}
