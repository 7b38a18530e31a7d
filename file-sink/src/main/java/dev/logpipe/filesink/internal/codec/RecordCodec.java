package dev.logpipe.filesink.internal.codec;

import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.SyslogInfo;
import net.openhft.chronicle.bytes.Bytes;

import java.nio.charset.StandardCharsets;
import java.util.Map;

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

    private byte[] scratch = new byte[256];

    /**
     * Appends {@code r} at {@code out}'s write position.
     *
     * @return the number of bytes written
     */
    public long write(Bytes<?> out, LogRecord r) {
        long start = out.writePosition();
        out.writeByte((byte) VERSION);
        out.writeByte((byte) r.level().ordinal());
        out.writeByte((byte) r.format().ordinal());
        SyslogInfo sys = r.syslog();
        out.writeByte((byte) (sys == null ? 0 : 1));
        out.writeInt(0); // reserved, keeps the two times 8-byte aligned within the record
        out.writeLong(r.receiveTimeNanos());
        out.writeLong(r.eventTimeNanos());
        writeVarint(out, r.flagBits() & 0xFFFF_FFFFL);
        writeString(out, r.host());
        writeString(out, r.service());
        writeString(out, r.source());
        writeString(out, r.message());
        Map<String, FieldValue> fields = r.fields();
        writeVarint(out, fields.size());
        for (Map.Entry<String, FieldValue> e : fields.entrySet()) {
            writeString(out, e.getKey());
            out.writeByte((byte) (e.getValue().json() ? KIND_JSON : KIND_STRING));
            writeString(out, e.getValue().text());
        }
        if (sys != null) {
            out.writeByte((byte) sys.facility());
            out.writeByte((byte) sys.severity());
            writeString(out, sys.appName());
            writeString(out, sys.procId());
            writeString(out, sys.msgId());
            writeString(out, sys.structuredData());
        }
        return out.writePosition() - start;
    }

    /**
     * Reads one record from {@code in}'s read position up to its read limit. Bytes after the last
     * section this version knows are ignored: later layouts may add sections at the end without
     * changing the version.
     *
     * @throws CorruptRecordException if the bytes are not a record of a version this code reads
     */
    public LogRecord read(Bytes<?> in) {
        try {
            if (in.readRemaining() < 24) {
                throw new CorruptRecordException("record too short: " + in.readRemaining() + " bytes");
            }
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new CorruptRecordException("unknown record layout version " + version
                        + " (this logpipe reads version " + VERSION + "); upgrade logpipe");
            }
            int level = in.readUnsignedByte();
            int format = in.readUnsignedByte();
            int hasSyslog = in.readUnsignedByte();
            in.readInt(); // reserved
            LogRecord.Builder b = LogRecord.builder()
                    .receiveTimeNanos(in.readLong())
                    .eventTimeNanos(in.readLong())
                    .level(Level.ofOrdinal(level))
                    .format(SourceFormat.ofOrdinal(format));
            b.flagBits((int) readVarint(in));
            b.host(readString(in));
            b.service(readString(in));
            b.source(readString(in));
            b.message(readString(in));
            long n = readVarint(in);
            if (n > in.readRemaining()) {
                throw new CorruptRecordException("field count " + n + " exceeds the record's size");
            }
            for (long i = 0; i < n; i++) {
                String name = readString(in);
                int kind = in.readUnsignedByte();
                String text = readString(in);
                if (kind == KIND_STRING) {
                    b.field(name, FieldValue.string(text));
                } else if (kind == KIND_JSON) {
                    b.field(name, FieldValue.json(text));
                } else {
                    throw new CorruptRecordException("unknown field kind " + kind);
                }
            }
            if (hasSyslog == 1) {
                int facility = in.readUnsignedByte();
                int severity = in.readUnsignedByte();
                b.syslog(new SyslogInfo(facility, severity, readString(in), readString(in), readString(in),
                        readString(in)));
            } else if (hasSyslog != 0) {
                throw new CorruptRecordException("bad syslog marker " + hasSyslog);
            }
            return b.build();
        } catch (CorruptRecordException e) {
            throw e;
        } catch (RuntimeException e) {
            // Bytes throws on reads past the limit; Level/SourceFormat/SyslogInfo on bad values.
            throw new CorruptRecordException("undecodable record: " + e, e);
        }
    }

    /** Reads only the receive time of the record starting at {@code in}'s read position, without moving it. */
    public static long peekReceiveTimeNanos(Bytes<?> in) {
        long p = in.readPosition();
        if (in.readRemaining() < RECEIVE_TIME_OFFSET + 8 || in.readUnsignedByte(p) != VERSION) {
            throw new CorruptRecordException("not a version " + VERSION + " record");
        }
        return in.readLong(p + RECEIVE_TIME_OFFSET);
    }

    private void writeString(Bytes<?> out, String s) {
        int len = s.length();
        int i = 0;
        while (i < len && s.charAt(i) < 0x80) {
            i++;
        }
        if (i == len) {
            // All ASCII: one byte per char, no intermediate array.
            writeVarint(out, len);
            for (int k = 0; k < len; k++) {
                out.writeByte((byte) s.charAt(k));
            }
        } else {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            writeVarint(out, utf8.length);
            out.write(utf8, 0, utf8.length);
        }
    }

    private String readString(Bytes<?> in) {
        long len = readVarint(in);
        if (len > in.readRemaining()) {
            throw new CorruptRecordException("string length " + len + " exceeds the record's remaining "
                    + in.readRemaining() + " bytes");
        }
        if (len == 0) {
            return "";
        }
        int n = (int) len;
        if (scratch.length < n) {
            scratch = new byte[Math.max(n, scratch.length * 2)];
        }
        in.read(scratch, 0, n);
        return new String(scratch, 0, n, StandardCharsets.UTF_8);
    }

    /** Unsigned LEB128: 7 bits per byte, least significant group first, high bit set on all but the last byte. */
    static void writeVarint(Bytes<?> out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((byte) v);
    }

    static long readVarint(Bytes<?> in) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new CorruptRecordException("varint longer than 10 bytes");
    }
}
