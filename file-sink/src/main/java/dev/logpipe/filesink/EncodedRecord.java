package dev.logpipe.filesink;

import dev.logpipe.filesink.internal.codec.RecordCodec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A record already in the journal's record layout ({@code file-sink/FORMAT.md}, version 2), made by
 * a receiver straight from the bytes a client sent: the writer copies it as it is and adds only its
 * journal index and checksum. The same record as a {@link LogRecord} costs a builder, a String per
 * field and an encoding on the writer's thread; this costs one array, filled on the receiver's thread.
 *
 * <p>An {@link Encoder} writes the same bytes {@link LogRecord}'s encoding would for a record with
 * the same values ({@code EncodedRecordTest} holds the two to that), so a journal does not tell the
 * two apart and every reader reads it as usual.
 *
 * <p>Threading: immutable once {@link Encoder#finish made}; the writer then owns its bytes.
 */
public final class EncodedRecord {

    /** The object, its array's header and an {@link AppendRequest}: what a record costs on the heap besides its bytes. */
    private static final int HEAP_OVERHEAD = 32 + 16 + 24;

    private final byte[] body;
    private final long receiveTimeNanos;
    private final SourceFormat format;
    private final int fieldCount;
    private LogRecord decoded;

    private EncodedRecord(byte[] body, long receiveTimeNanos, SourceFormat format, int fieldCount) {
        this.body = body;
        this.receiveTimeNanos = receiveTimeNanos;
        this.format = format;
        this.fieldCount = fieldCount;
    }

    /** When logpipe received the record (nanoseconds since the epoch). */
    public long receiveTimeNanos() {
        return receiveTimeNanos;
    }

    /** The wire format the record arrived in. */
    public SourceFormat format() {
        return format;
    }

    /** The record's size in the journal, about: its bytes and a few per field for the journal's index (as {@link LogRecord#estimatedBytes()}). */
    public int estimatedBytes() {
        return body.length + 32 + 5 * fieldCount;
    }

    /** What the record holds on the heap (its bytes and three small objects): its weight in a channel bounded in bytes. */
    public int heapBytes() {
        return body.length + HEAP_OVERHEAD;
    }

    /** The record's bytes; never changed (the writer seals a copy with its index and checksum). */
    byte[] body() {
        return body;
    }

    /**
     * The record as a {@link LogRecord}: decoded from its bytes on first call (for logging and tests;
     * the journal writer never needs it).
     */
    public synchronized LogRecord decode() {
        if (decoded == null) {
            decoded = new RecordCodec().decodeUnsealed(body, body.length);
        }
        return decoded;
    }

    @Override
    public String toString() {
        return "EncodedRecord{" + body.length + " bytes, " + format + '}';
    }

    /**
     * Writes records into the journal layout from byte ranges, in the layout's order: {@link #begin},
     * {@link #host}, {@link #service}, {@link #source}, {@link #message}, {@link #fieldCount}, one
     * {@link #field} per field, optionally a {@link #syslog} section, {@link #finish}. A call out of that order throws
     * {@link IllegalStateException}. Text is UTF-8 bytes, and must be well-formed: the encoder checks
     * (unless made not to) and throws {@link IllegalArgumentException} for bytes a {@link String}
     * would not give back.
     *
     * <p>Threading: confined to one thread; reuse one per thread (it keeps its scratch buffer).
     */
    public static final class Encoder {

        private static final int HOST = 1;
        private static final int SERVICE = 2;
        private static final int SOURCE = 3;
        private static final int MESSAGE = 4;
        private static final int COUNT = 5;
        private static final int FIELDS = 6;
        /** The fields are written: {@link #finish}, or a syslog section first. */
        private static final int FIELDS_DONE = 7;
        private static final int APP_NAME = 8;
        private static final int PROC_ID = 9;
        private static final int MSG_ID = 10;
        private static final int STRUCTURED_DATA = 11;
        private static final int SYSLOG_DONE = 12;

        /** Whether text parts are checked to be well-formed UTF-8. */
        private final boolean checkText;
        private byte[] buf = new byte[512];
        private int pos;
        /** The next part the layout expects; 0 before {@link #begin}. */
        private int stage;
        private int fieldsLeft;
        private int fieldCount;
        private long receiveTimeNanos;
        private SourceFormat format;
        /** The last source and its UTF-8 bytes: a connection's records all have the same one. */
        private String lastSource;
        private byte[] lastSourceBytes;

        /** An encoder that checks every text part. */
        public Encoder() {
            this(true);
        }

        /**
         * @param checkText false when the caller has already checked all the text it passes to be
         *     well-formed UTF-8 (a receiver that validated the whole frame): malformed bytes would then
         *     be stored as they are, and read back with U+FFFD in their place
         */
        public Encoder(boolean checkText) {
            this.checkText = checkText;
        }

        /** Starts a record (discarding one begun and not finished). {@code eventTimeNanos} is the receive time when the record has none of its own. */
        public Encoder begin(long receiveTimeNanos, long eventTimeNanos, Level level, SourceFormat format, int flagBits) {
            Objects.requireNonNull(level, "level");
            this.format = Objects.requireNonNull(format, "format");
            this.receiveTimeNanos = receiveTimeNanos;
            pos = RecordCodec.putFixed(buf, level, format, false, receiveTimeNanos, eventTimeNanos);
            putVarint(flagBits & 0xFFFF_FFFFL);
            fieldCount = 0;
            stage = HOST;
            return this;
        }

        public Encoder host(byte[] b, int off, int len) {
            expect(HOST);
            putText(b, off, len);
            advance(HOST);
            return this;
        }

        public Encoder service(byte[] b, int off, int len) {
            expect(SERVICE);
            putText(b, off, len);
            advance(SERVICE);
            return this;
        }

        public Encoder source(String source) {
            expect(SOURCE);
            if (!source.equals(lastSource)) {
                lastSourceBytes = source.getBytes(StandardCharsets.UTF_8);
                lastSource = source;
            }
            putChecked(lastSourceBytes, 0, lastSourceBytes.length);
            advance(SOURCE);
            return this;
        }

        public Encoder message(byte[] b, int off, int len) {
            expect(MESSAGE);
            putText(b, off, len);
            advance(MESSAGE);
            return this;
        }

        public Encoder fieldCount(int count) {
            expect(COUNT);
            if (count < 0) {
                throw new IllegalArgumentException("field count " + count);
            }
            putVarint(count);
            fieldCount = fieldsLeft = count;
            stage = count == 0 ? FIELDS_DONE : FIELDS;
            return this;
        }

        /**
         * One field: its name, and its value as a string or as JSON text (a number, literal, object or
         * array as sent, see {@link FieldValue#json}). Names must be distinct: a record has each once.
         */
        public Encoder field(byte[] nameBytes, int nameOff, int nameLen, boolean json, byte[] valueBytes, int valueOff, int valueLen) {
            if (stage != FIELDS || fieldsLeft == 0) {
                throw new IllegalStateException("no field expected here: " + fieldsLeft + " of " + fieldCount + " left");
            }
            putText(nameBytes, nameOff, nameLen);
            ensure(1);
            buf[pos++] = (byte) (json ? 1 : 0);
            putText(valueBytes, valueOff, valueLen);
            if (--fieldsLeft == 0) {
                stage = FIELDS_DONE;
            }
            return this;
        }

        /**
         * Starts the record's syslog section ({@link SyslogInfo}), after its fields: then
         * {@link #appName}, {@link #procId}, {@link #msgId}, {@link #structuredData}.
         */
        public Encoder syslog(int facility, int severity) {
            expect(FIELDS_DONE);
            if (facility < 0 || facility > 23 || severity < 0 || severity > 7) {
                throw new IllegalArgumentException("facility " + facility + " / severity " + severity);
            }
            buf[RecordCodec.SYSLOG_MARKER_OFFSET] = 1;
            ensure(2);
            buf[pos++] = (byte) facility;
            buf[pos++] = (byte) severity;
            advance(FIELDS_DONE);
            return this;
        }

        public Encoder appName(byte[] b, int off, int len) {
            return syslogText(APP_NAME, b, off, len);
        }

        public Encoder procId(byte[] b, int off, int len) {
            return syslogText(PROC_ID, b, off, len);
        }

        public Encoder msgId(byte[] b, int off, int len) {
            return syslogText(MSG_ID, b, off, len);
        }

        /** The STRUCTURED-DATA as received ({@code ""} for none). */
        public Encoder structuredData(byte[] b, int off, int len) {
            return syslogText(STRUCTURED_DATA, b, off, len);
        }

        private Encoder syslogText(int part, byte[] b, int off, int len) {
            expect(part);
            putText(b, off, len);
            advance(part);
            return this;
        }

        /** The record, in an array of its own size. */
        public EncodedRecord finish() {
            if ((stage != FIELDS_DONE && stage != SYSLOG_DONE) || format == null) {
                throw new IllegalStateException("record not complete (at part " + stage + ", " + fieldsLeft + " fields left)");
            }
            EncodedRecord r = new EncodedRecord(Arrays.copyOf(buf, pos), receiveTimeNanos, format, fieldCount);
            format = null;
            stage = 0;
            if (buf.length > 64 * 1024) {
                buf = new byte[512]; // do not keep a huge record's buffer for the thread's life
            }
            return r;
        }

        private void expect(int part) {
            if (stage != part) {
                throw new IllegalStateException("record parts out of order: expected part " + stage + ", got " + part);
            }
        }

        /** After a part is written (a refused one leaves the record where it was). */
        private void advance(int part) {
            stage = part + 1;
        }

        private void putText(byte[] b, int off, int len) {
            Objects.checkFromIndexSize(off, len, b.length);
            if (checkText && !Utf8.wellFormed(b, off, len)) {
                throw new IllegalArgumentException("not well-formed UTF-8");
            }
            putChecked(b, off, len);
        }

        private void putChecked(byte[] b, int off, int len) {
            ensure(len + 5);
            putVarint(len);
            System.arraycopy(b, off, buf, pos, len);
            pos += len;
        }

        private void ensure(int more) {
            if (pos + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(pos + more, buf.length * 2));
            }
        }

        private void putVarint(long v) {
            ensure(10);
            pos = RecordCodec.putVarint(buf, pos, v);
        }
    }

    /** The UTF-8 a {@link String} decodes and encodes back unchanged. */
    static final class Utf8 {
        private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

        private Utf8() {
        }

        /** Well-formed UTF-8 (RFC 3629): no overlong form, no surrogate, nothing above U+10FFFF, nothing cut. */
        static boolean wellFormed(byte[] b, int off, int len) {
            int end = off + len;
            int i = off;
            // ASCII, the usual case, eight bytes at a time
            while (i + 8 <= end && ((long) LONG_LE.get(b, i) & 0x8080_8080_8080_8080L) == 0) {
                i += 8;
            }
            while (i < end) {
                int c = b[i];
                if (c >= 0) {
                    i++;
                    continue;
                }
                c &= 0xFF;
                int need;
                int min;
                if (c >= 0xC2 && c <= 0xDF) {
                    need = 1;
                    min = 0x80;
                } else if (c >= 0xE0 && c <= 0xEF) {
                    need = 2;
                    min = 0x800;
                } else if (c >= 0xF0 && c <= 0xF4) {
                    need = 3;
                    min = 0x10000;
                } else {
                    return false;
                }
                if (i + need >= end) {
                    return false; // cut
                }
                int cp = c & (0x3F >> need);
                for (int k = 1; k <= need; k++) {
                    int cc = b[i + k] & 0xFF;
                    if ((cc & 0xC0) != 0x80) {
                        return false;
                    }
                    cp = cp << 6 | (cc & 0x3F);
                }
                if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    return false;
                }
                i += need + 1;
            }
            return true;
        }
    }
}
