package dev.logpipe.collector.internal.ingest;

import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/**
 * Maps one Fluent Forward entry, {@code [time, record]}, from its msgpack bytes straight to an
 * {@link EncodedRecord}: its strings go from the wire into the record as UTF-8 bytes, with no msgpack
 * value tree, no {@link String} per key and value, and no encoding left for the journal writer. The
 * rules are {@link FluentForwardDecoder}'s ({@code toRecord}): {@code level}/{@code severity},
 * {@code service}/{@code app}, {@code host}/{@code hostname} and {@code msg}/{@code message} (the first
 * usable one of each) are the core fields, Docker's {@code log} is the message unless one came, the tag
 * is the service unless one came, every other key is a field (a string as a string, any other value as
 * its JSON text).
 *
 * <p>It takes only the common shape and answers null for the rest, which the decoder maps through
 * msgpack values as before: an entry that is not {@code [time, map]}, a key that is not a string, two
 * fields of one name, or a string that is not well-formed UTF-8. Values that are not strings are
 * written as JSON straight from their msgpack ({@link #render}), as msgpack's {@code Value.toJson}
 * writes them, so a map of a million keys costs a few bytes of scratch per key, not a tree of objects.
 * The two paths give equal records ({@code FluentEntryEncoderTest} compares them over generated entries).
 *
 * <p>Threading: confined to the connection's event loop; it keeps its scratch buffers.
 */
final class FluentEntryEncoder {

    /** Up to this many fields, repeated names are found by comparing every pair; beyond, by hashing. */
    private static final int PAIRWISE_FIELDS = 16;
    /** Deepest nesting {@link #render} follows (the decoder refuses deeper messages and packed entries). */
    private static final int MAX_DEPTH = FluentForwardDecoder.MAX_DEPTH + 2;

    private final EncodedRecord.Encoder out = new EncodedRecord.Encoder(false); // the UTF-8 is checked here
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private CharBuffer chars = CharBuffer.allocate(256);
    /** The entry's bytes. */
    private byte[] b = new byte[1024];
    /** JSON text of values that are not strings: {@link #jsonValue} writes here. */
    private byte[] json = new byte[256];
    private int jsonLen;
    // the fields, in order: name [off, len), value [off, len) in b (or in json when valueJson)
    private int[] nameOff = new int[16];
    private int[] nameLen = new int[16];
    private int[] valueOff = new int[16];
    private int[] valueLen = new int[16];
    private boolean[] valueJson = new boolean[16];
    private int fields;
    /** For the repeated-name check of many fields: field index + 1 by name hash, open addressing. */
    private int[] nameTable = new int[64];
    /** The keys of the last entry's record map, -1 when the entry was not {@code [time, map]}. */
    private long lastKeys = -1;
    // render's stack: per open array or map, the values it holds and how many were written
    private final long[] total = new long[MAX_DEPTH];
    private final long[] done = new long[MAX_DEPTH];
    private final boolean[] isMap = new boolean[MAX_DEPTH];
    /** The last level text and what it parsed to: a stream's records mostly share one or a few. */
    private byte[] lastLevelText = new byte[0];
    private Level lastLevel;

    /**
     * The record of the entry at {@code src[from, from + len)}, one complete msgpack value; null when
     * the decoder must map it itself (see the class comment).
     */
    EncodedRecord encode(ByteBuffer src, int from, int len, byte[] tag, String source, long receiveTimeNanos) {
        return encode(src, from, len, tag, source, receiveTimeNanos, 0);
    }

    /** As {@link #encode(ByteBuffer, int, int, byte[], String, long)}, the record flagged {@code flagBits} besides. */
    EncodedRecord encode(ByteBuffer src, int from, int len, byte[] tag, String source, long receiveTimeNanos, int flagBits) {
        if (b.length < len) {
            b = new byte[Math.max(len, b.length * 2)];
        }
        src.get(from, b, 0, len);
        try {
            return encode(tag, source, receiveTimeNanos, flagBits);
        } finally {
            dropLarge();
        }
    }

    /**
     * Lets go of what one large entry grew, so it is not kept for the connection's life: its bytes, its
     * JSON, its fields' spans (80,000 keys kept ~1.7 MB) and its repeated-name table.
     */
    private void dropLarge() {
        if (b.length > 64 * 1024) {
            b = new byte[1024];
        }
        if (json.length > 64 * 1024) {
            json = new byte[256];
        }
        if (nameOff.length > MAX_KEPT_FIELDS) {
            nameOff = new int[16];
            nameLen = new int[16];
            valueOff = new int[16];
            valueLen = new int[16];
            valueJson = new boolean[16];
        }
        if (nameTable.length > 4 * MAX_KEPT_FIELDS) {
            nameTable = new int[64];
        }
    }

    /** Field spans beyond this many are dropped after an entry. */
    static final int MAX_KEPT_FIELDS = 256;

    /** Room for how many fields' spans this encoder holds now (for tests). */
    int keptFields() {
        return nameOff.length;
    }

    private EncodedRecord encode(byte[] tag, String source, long receiveTimeNanos, int flagBits) {
        lastKeys = -1;
        int t = b[0] & 0xff;
        if (t != 0x92) { // a fixarray of two; [time, record] in any longer array header is left to the slow path
            return null;
        }
        long time = timeAt(1);
        if (time == -1) {
            return null;
        }
        int i = skip(1);
        t = b[i] & 0xff;
        long count;
        if (t >= 0x80 && t <= 0x8f) {
            count = t & 0x0f;
            i += 1;
        } else if (t == 0xde) {
            count = u16(i + 1);
            i += 3;
        } else if (t == 0xdf) {
            count = u32(i + 1);
            i += 5;
        } else {
            return null;
        }
        lastKeys = count;
        Level level = Level.UNSET;
        boolean haveLevel = false;
        int hostOff = 0;
        int hostLen = -1;
        int serviceOff = 0;
        int serviceLen = -1;
        int messageOff = 0;
        int messageLen = -1;
        int logOff = 0;
        int logLen = -1;
        fields = 0;
        jsonLen = 0;
        for (long k = 0; k < count; k++) {
            if (!isRaw(i)) {
                return null; // a key that is not a string: its name is its JSON text, the slow path's
            }
            int kOff = rawOff(i);
            int kLen = rawLen(i);
            i = kOff + kLen;
            int vStart = i;
            boolean text = isRaw(i);
            int vOff = text ? rawOff(i) : i;
            i = text ? vOff + rawLen(i) : skip(i);
            int vLen = i - vOff;
            if (!wellFormed(kOff, kLen) || text && !wellFormed(vOff, vLen)) {
                return null;
            }
            boolean used = false;
            switch (coreKey(kOff, kLen)) {
                case LEVEL -> {
                    if (!haveLevel) {
                        Level l = text ? levelOf(vOff, vLen) : levelOfInteger(vStart);
                        if (l != null) {
                            level = l;
                            haveLevel = used = true;
                        }
                    }
                }
                case SERVICE -> {
                    if (serviceLen < 0 && text) {
                        serviceOff = vOff;
                        serviceLen = vLen;
                        used = true;
                    }
                }
                case HOST -> {
                    if (hostLen < 0 && text) {
                        hostOff = vOff;
                        hostLen = vLen;
                        used = true;
                    }
                }
                case MESSAGE -> {
                    if (messageLen < 0 && text) {
                        messageOff = vOff;
                        messageLen = vLen;
                        used = true;
                    }
                }
                case LOG -> {
                    if (logLen < 0 && text) {
                        logOff = vOff;
                        logLen = vLen;
                        used = true;
                    }
                }
                default -> {
                }
            }
            if (!used) {
                if (text) {
                    addField(kOff, kLen, vOff, vLen, false);
                } else {
                    int jOff = jsonLen;
                    if (!jsonValue(vStart, i)) {
                        return null;
                    }
                    addField(kOff, kLen, jOff, jsonLen - jOff, true);
                }
            }
        }
        if (logLen >= 0) {
            if (messageLen >= 0) {
                addField(-1, 3, logOff, logLen, false); // "log", a field: a message came too
            } else {
                messageOff = logOff;
                messageLen = logLen > 0 && b[logOff + logLen - 1] == '\n' ? logLen - 1 : logLen;
            }
        }
        if (repeatedName()) {
            return null;
        }
        out.begin(receiveTimeNanos, time, level, SourceFormat.FLUENT, flagBits);
        out.host(b, hostOff, Math.max(hostLen, 0));
        if (serviceLen >= 0) {
            out.service(b, serviceOff, serviceLen);
        } else {
            out.service(tag, 0, tag.length);
        }
        out.source(source);
        out.message(b, messageOff, Math.max(messageLen, 0));
        out.fieldCount(fields);
        for (int f = 0; f < fields; f++) {
            byte[] names = nameOff[f] < 0 ? LOG_NAME : b;
            out.field(names, Math.max(nameOff[f], 0), nameLen[f], valueJson[f], valueJson[f] ? json : b, valueOff[f], valueLen[f]);
        }
        return out.finish();
    }

    /** The keys of the last entry's record map, -1 when it was not {@code [time, map]}. */
    long lastKeys() {
        return lastKeys;
    }

    /**
     * The JSON text of the entry at {@code src[from, from + len)}, cut at {@code cap} bytes (on a
     * character boundary): what an entry not mapped field by field is stored as. Map keys that are
     * not strings are written as their JSON, unquoted (not JSON then; it is a record's raw text).
     */
    String renderCut(ByteBuffer src, int from, int len, int cap) {
        if (b.length < len) {
            b = new byte[len];
        }
        src.get(from, b, 0, len);
        jsonLen = 0;
        try {
            render(0, cap, false);
            int cut = Math.min(jsonLen, cap);
            while (cut > 0 && cut < jsonLen && (json[cut] & 0xC0) == 0x80) {
                cut--; // not inside a character
            }
            return new String(json, 0, cut, StandardCharsets.UTF_8);
        } finally {
            dropLarge();
        }
    }

    /** {@code r} as an encoded record (the slow path's records). */
    EncodedRecord encode(LogRecord r) {
        out.begin(r.receiveTimeNanos(), r.eventTimeNanos(), r.level(), r.format(), r.flagBits());
        byte[] host = utf8(r.host());
        out.host(host, 0, host.length);
        byte[] service = utf8(r.service());
        out.service(service, 0, service.length);
        out.source(r.source());
        byte[] message = utf8(r.message());
        out.message(message, 0, message.length);
        out.fieldCount(r.fieldCount());
        for (int f = 0; f < r.fieldCount(); f++) {
            byte[] name = utf8(r.fieldName(f));
            FieldValue v = r.fieldValue(f);
            byte[] value = utf8(v.text());
            out.field(name, 0, name.length, v.json(), value, 0, value.length);
        }
        return out.finish();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final byte[] LOG_NAME = "log".getBytes(StandardCharsets.US_ASCII);
    private static final int OTHER = 0;
    private static final int LEVEL = 1;
    private static final int SERVICE = 2;
    private static final int HOST = 3;
    private static final int MESSAGE = 4;
    private static final int LOG = 5;

    /** Which core field the key at [off, off + len) names, if any. */
    private int coreKey(int off, int len) {
        switch (len) {
            case 3:
                if (is(off, "msg")) {
                    return MESSAGE;
                }
                if (is(off, "app")) {
                    return SERVICE;
                }
                return is(off, "log") ? LOG : OTHER;
            case 4:
                return is(off, "host") ? HOST : OTHER;
            case 5:
                return is(off, "level") ? LEVEL : OTHER;
            case 7:
                if (is(off, "service")) {
                    return SERVICE;
                }
                return is(off, "message") ? MESSAGE : OTHER;
            case 8:
                if (is(off, "severity")) {
                    return LEVEL;
                }
                return is(off, "hostname") ? HOST : OTHER;
            default:
                return OTHER;
        }
    }

    private boolean is(int off, String ascii) {
        for (int j = 0; j < ascii.length(); j++) {
            if (b[off + j] != ascii.charAt(j)) {
                return false;
            }
        }
        return true;
    }

    private void addField(int nOff, int nLen, int vOff, int vLen, boolean isJson) {
        if (fields == nameOff.length) {
            int n = fields * 2;
            nameOff = Arrays.copyOf(nameOff, n);
            nameLen = Arrays.copyOf(nameLen, n);
            valueOff = Arrays.copyOf(valueOff, n);
            valueLen = Arrays.copyOf(valueLen, n);
            valueJson = Arrays.copyOf(valueJson, n);
        }
        nameOff[fields] = nOff;
        nameLen[fields] = nLen;
        valueOff[fields] = vOff;
        valueLen[fields] = vLen;
        valueJson[fields] = isJson;
        fields++;
    }

    /** Whether two fields have one name (the slow path keeps the first one's place and the last value). */
    private boolean repeatedName() {
        if (fields <= PAIRWISE_FIELDS) {
            for (int f = 1; f < fields; f++) {
                for (int g = 0; g < f; g++) {
                    if (sameName(f, g)) {
                        return true;
                    }
                }
            }
            return false;
        }
        int size = Integer.highestOneBit(fields * 2 - 1) << 1;
        if (nameTable.length < size) {
            nameTable = new int[size];
        } else {
            Arrays.fill(nameTable, 0, size, 0);
        }
        int mask = size - 1;
        for (int f = 0; f < fields; f++) {
            int h = hash(nameBytes(f), nameStart(f), nameLen[f]) & mask;
            while (nameTable[h] != 0) {
                if (sameName(f, nameTable[h] - 1)) {
                    return true;
                }
                h = (h + 1) & mask;
            }
            nameTable[h] = f + 1;
        }
        return false;
    }

    private boolean sameName(int f, int g) {
        return nameLen[f] == nameLen[g] && Arrays.equals(nameBytes(f), nameStart(f), nameStart(f) + nameLen[f],
                nameBytes(g), nameStart(g), nameStart(g) + nameLen[g]);
    }

    private static int hash(byte[] a, int off, int len) {
        int h = 0x9E3779B9;
        for (int j = off; j < off + len; j++) {
            h = (h ^ a[j]) * 0x01000193;
        }
        return h ^ (h >>> 16);
    }

    private byte[] nameBytes(int f) {
        return nameOff[f] < 0 ? LOG_NAME : b;
    }

    private int nameStart(int f) {
        return Math.max(nameOff[f], 0);
    }

    /** Whether [off, off + len) of the entry is well-formed UTF-8 (as the JDK's decoder, and so msgpack's asString, takes it). */
    private boolean wellFormed(int off, int len) {
        int end = off + len;
        for (int j = off; j < end; j++) {
            if (b[j] < 0) {
                return wellFormedSlow(off, len);
            }
        }
        return true;
    }

    private boolean wellFormedSlow(int off, int len) {
        if (chars.capacity() < len) {
            chars = CharBuffer.allocate(len);
        }
        chars.clear();
        utf8.reset();
        try {
            return !utf8.decode(ByteBuffer.wrap(b, off, len), chars, true).isError()
                    && !utf8.flush(chars).isError();
        } finally {
            if (chars.capacity() > 64 * 1024) {
                chars = CharBuffer.allocate(256);
            }
        }
    }

    private Level levelOf(int off, int len) {
        if (lastLevel != null && Arrays.equals(lastLevelText, 0, lastLevelText.length, b, off, off + len)) {
            return lastLevel;
        }
        Level l = Level.parse(new String(b, off, len, StandardCharsets.UTF_8));
        if (l != null && len <= 32) {
            lastLevelText = Arrays.copyOfRange(b, off, off + len);
            lastLevel = l;
        }
        return l;
    }

    /** The level of the integer at {@code i} (a number in int range), or null. */
    private Level levelOfInteger(int i) {
        long v = integerAt(i);
        if (v == Long.MIN_VALUE || v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            return null;
        }
        return JsonLineParser.levelOfNumber((int) v);
    }

    /**
     * Appends the JSON text of the value at [from, to) (not a string) to {@link #json}, as msgpack-java's
     * {@code Value.toJson} writes it, so both paths store the same text; through msgpack values only
     * for a map with a key that is not a string. False if the value cannot be read.
     */
    private boolean jsonValue(int from, int to) {
        int mark = jsonLen;
        if (render(from, Long.MAX_VALUE, true) >= 0) {
            return true;
        }
        jsonLen = mark;
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(b, from, to - from)) {
            byte[] text = MsgpackJson.of(u.unpackValue()).getBytes(StandardCharsets.UTF_8);
            ensureJson(text.length);
            System.arraycopy(text, 0, json, jsonLen, text.length);
            jsonLen += text.length;
            return true;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

    /** Returned by {@link #render} when it stopped at its cap. */
    static final int CAPPED = -2;

    /**
     * Writes the JSON text of the value at {@code i} to {@link #json} as msgpack-java's {@code
     * Value.toJson} does, iteratively; returns the offset after the value, {@link #CAPPED} once it has
     * written {@code cap} bytes or more (the value is then cut), or -1 for a map key that is not a
     * string or a timestamp extension when {@code strictKeys} (msgpack quotes such a key's {@code
     * toString} and writes a timestamp as a date, neither done here; without {@code strictKeys} they are
     * written as JSON, the key unquoted, the extension as any other) or nesting deeper than the stack.
     */
    int render(int i, long cap, boolean strictKeys) {
        exact = strictKeys;
        int start = jsonLen;
        int d = -1;
        while (true) {
            if (d >= 0) {
                boolean key = isMap[d] && (done[d] & 1) == 0;
                if (done[d] > 0) {
                    putJson(key ? (byte) ',' : isMap[d] ? (byte) ':' : (byte) ',');
                }
                done[d]++;
                if (key && !isRaw(i) && strictKeys) {
                    return -1;
                }
            }
            int t = b[i] & 0xff;
            long n = -1;
            boolean map = false;
            if (t >= 0x80 && t <= 0x8f) {
                n = 2L * (t & 0x0f);
                map = true;
                i += 1;
            } else if (t >= 0x90 && t <= 0x9f) {
                n = t & 0x0f;
                i += 1;
            } else if (t == 0xdc || t == 0xde) {
                n = u16(i + 1) * (t == 0xde ? 2L : 1L);
                map = t == 0xde;
                i += 3;
            } else if (t == 0xdd || t == 0xdf) {
                n = u32(i + 1) * (t == 0xdf ? 2L : 1L);
                map = t == 0xdf;
                i += 5;
            } else {
                i = scalar(i);
                if (i < 0) {
                    return -1;
                }
            }
            if (n == 0) {
                putJson(map ? (byte) '{' : (byte) '[');
                putJson(map ? (byte) '}' : (byte) ']');
            } else if (n > 0) {
                if (++d == MAX_DEPTH) {
                    return -1;
                }
                putJson(map ? (byte) '{' : (byte) '[');
                total[d] = n;
                done[d] = 0;
                isMap[d] = map;
                continue;
            }
            while (d >= 0 && done[d] == total[d]) {
                putJson(isMap[d] ? (byte) '}' : (byte) ']');
                d--;
            }
            if (d < 0) {
                return i;
            }
            if (jsonLen - start >= cap) {
                return CAPPED;
            }
        }
    }

    /** {@link #render}'s mode: exactly as msgpack-java's {@code Value.toJson}, or -1. */
    private boolean exact;

    /** Writes the scalar at {@code i} as JSON; returns the offset after it, -1 if {@link #exact} cannot. */
    private int scalar(int i) {
        int t = b[i] & 0xff;
        if (t <= 0x7f || t >= 0xe0 || t >= 0xcc && t <= 0xd3) {
            String s = t == 0xcf ? Long.toUnsignedString(s64(i + 1)) : Long.toString(t == 0xd3 ? s64(i + 1) : integerAt(i));
            putAscii(s);
            return skip(i);
        }
        switch (t) {
            case 0xc0 -> putAscii("null");
            case 0xc2 -> putAscii("false");
            case 0xc3 -> putAscii("true");
            case 0xca, 0xcb -> {
                double v = t == 0xca ? Float.intBitsToFloat((int) u32(i + 1)) : Double.longBitsToDouble(s64(i + 1));
                putAscii(Double.isNaN(v) || Double.isInfinite(v) ? "null" : Double.toString(v));
            }
            default -> {
                if (isRaw(i)) {
                    putJsonString(new String(b, rawOff(i), rawLen(i), StandardCharsets.UTF_8));
                } else { // an extension: [type,"two hex digits per byte"], as MsgpackJson writes it
                    int type;
                    int at;
                    int len;
                    switch (t) {
                        case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8 -> {
                            len = 1 << (t - 0xd4);
                            type = b[i + 1];
                            at = i + 2;
                        }
                        case 0xc7 -> {
                            len = b[i + 1] & 0xff;
                            type = b[i + 2];
                            at = i + 3;
                        }
                        case 0xc8 -> {
                            len = u16(i + 1);
                            type = b[i + 3];
                            at = i + 4;
                        }
                        default -> {
                            len = (int) u32(i + 1);
                            type = b[i + 5];
                            at = i + 6;
                        }
                    }
                    if (type == -1 && exact) {
                        return -1; // msgpack reads type -1 as a timestamp, written differently (or refused)
                    }
                    putJson((byte) '[');
                    putAscii(Byte.toString((byte) type));
                    putAscii(",\"");
                    for (int j = at; j < at + len; j++) {
                        putJson((byte) HEX_DIGITS[(b[j] >> 4) & 0xf]);
                        putJson((byte) HEX_DIGITS[b[j] & 0xf]);
                    }
                    putAscii("\"]");
                }
            }
        }
        return skip(i);
    }

    /** {@code s} as a JSON string, escaped as msgpack-java escapes it (surrogates too, one by one). */
    private void putJsonString(String s) {
        ensureJson(s.length() * 6 + 2);
        json[jsonLen++] = '"';
        for (int j = 0; j < s.length(); j++) {
            char c = s.charAt(j);
            if (c < 0x20) {
                switch (c) {
                    case '\n' -> putEscape('n');
                    case '\r' -> putEscape('r');
                    case '\t' -> putEscape('t');
                    case '\f' -> putEscape('f');
                    case '\b' -> putEscape('b');
                    default -> putUnicodeEscape(c);
                }
            } else if (c < 0x80) {
                if (c == '"' || c == '\\') {
                    putEscape(c);
                } else {
                    json[jsonLen++] = (byte) c;
                }
            } else if (c >= 0xD800 && c <= 0xDFFF) {
                putUnicodeEscape(c);
            } else if (c < 0x800) {
                json[jsonLen++] = (byte) (0xC0 | c >> 6);
                json[jsonLen++] = (byte) (0x80 | c & 0x3F);
            } else {
                json[jsonLen++] = (byte) (0xE0 | c >> 12);
                json[jsonLen++] = (byte) (0x80 | c >> 6 & 0x3F);
                json[jsonLen++] = (byte) (0x80 | c & 0x3F);
            }
        }
        json[jsonLen++] = '"';
    }

    private void putEscape(char c) {
        json[jsonLen++] = '\\';
        json[jsonLen++] = (byte) c;
    }

    private static final byte[] HEX_UPPER = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private void putUnicodeEscape(char c) {
        json[jsonLen++] = '\\';
        json[jsonLen++] = 'u';
        json[jsonLen++] = HEX_UPPER[c >> 12 & 15];
        json[jsonLen++] = HEX_UPPER[c >> 8 & 15];
        json[jsonLen++] = HEX_UPPER[c >> 4 & 15];
        json[jsonLen++] = HEX_UPPER[c & 15];
    }

    private void putJson(byte c) {
        ensureJson(1);
        json[jsonLen++] = c;
    }

    private void putAscii(String s) {
        ensureJson(s.length());
        for (int j = 0; j < s.length(); j++) {
            json[jsonLen++] = (byte) s.charAt(j);
        }
    }

    private void ensureJson(int more) {
        if (jsonLen + more > json.length) {
            json = Arrays.copyOf(json, Math.max(jsonLen + more, json.length * 2));
        }
    }

    /** The integer at {@code i}, or Long.MIN_VALUE if it is none or a uint64 above Long.MAX_VALUE (or Long.MIN_VALUE itself). */
    private long integerAt(int i) {
        int t = b[i] & 0xff;
        if (t <= 0x7f) {
            return t;
        }
        if (t >= 0xe0) {
            return (byte) t;
        }
        return switch (t) {
            case 0xcc -> b[i + 1] & 0xff;
            case 0xcd -> u16(i + 1);
            case 0xce -> u32(i + 1);
            case 0xcf -> {
                long v = s64(i + 1);
                yield v < 0 ? Long.MIN_VALUE : v;
            }
            case 0xd0 -> b[i + 1];
            case 0xd1 -> (short) u16(i + 1);
            case 0xd2 -> (int) u32(i + 1);
            case 0xd3 -> s64(i + 1);
            default -> Long.MIN_VALUE;
        };
    }

    /** The entry time at {@code i} in nanoseconds since the epoch, or -1 (as {@link FluentForwardDecoder#timeOf}). */
    private long timeAt(int i) {
        int t = b[i] & 0xff;
        if (t == 0xca || t == 0xcb) {
            double d = t == 0xca ? Float.intBitsToFloat((int) u32(i + 1)) : Double.longBitsToDouble(s64(i + 1));
            return d < 0 || d > 9.2e9 || Double.isNaN(d) ? -1 : (long) (d * 1e9);
        }
        int dataAt;
        int type;
        long len;
        switch (t) {
            case 0xd7 -> { // fixext 8: EventTime
                type = b[i + 1];
                len = 8;
                dataAt = i + 2;
            }
            case 0xc7 -> {
                len = b[i + 1] & 0xff;
                type = b[i + 2];
                dataAt = i + 3;
            }
            case 0xc8 -> {
                len = u16(i + 1);
                type = b[i + 3];
                dataAt = i + 4;
            }
            case 0xc9 -> {
                len = u32(i + 1);
                type = b[i + 5];
                dataAt = i + 6;
            }
            default -> {
                long s = integerAt(i);
                if (!isInteger(t) || s == Long.MIN_VALUE) {
                    return -1; // not a time, or out of long range (the slow path's isInLongRange)
                }
                return s < 0 || s > Long.MAX_VALUE / 1_000_000_000L ? -1 : s * 1_000_000_000L;
            }
        }
        if (type != 0 || len != 8) {
            return -1;
        }
        long sec = u32(dataAt);
        long nsec = u32(dataAt + 4);
        return nsec >= 1_000_000_000L ? -1 : sec * 1_000_000_000L + nsec;
    }

    private static boolean isInteger(int t) {
        return t <= 0x7f || t >= 0xe0 || t >= 0xcc && t <= 0xd3;
    }

    /** Whether the value at {@code i} is a str or bin (msgpack's raw values, which the slow path reads as text). */
    private boolean isRaw(int i) {
        int t = b[i] & 0xff;
        return t >= 0xa0 && t <= 0xbf || t >= 0xc4 && t <= 0xc6 || t >= 0xd9 && t <= 0xdb;
    }

    private int rawOff(int i) {
        int t = b[i] & 0xff;
        if (t >= 0xa0 && t <= 0xbf) {
            return i + 1;
        }
        return switch (t) {
            case 0xc4, 0xd9 -> i + 2;
            case 0xc5, 0xda -> i + 3;
            default -> i + 5;
        };
    }

    private int rawLen(int i) {
        int t = b[i] & 0xff;
        if (t >= 0xa0 && t <= 0xbf) {
            return t & 0x1f;
        }
        return switch (t) {
            case 0xc4, 0xd9 -> b[i + 1] & 0xff;
            case 0xc5, 0xda -> u16(i + 1);
            default -> (int) u32(i + 1); // the decoder's scanner bounded the message: this fits
        };
    }

    /** The offset after the value at {@code i} (the scanner has checked the message's msgpack and its depth). */
    private int skip(int i) {
        int t = b[i] & 0xff;
        if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
            return i + 1;
        }
        if (isRaw(i)) {
            return rawOff(i) + rawLen(i);
        }
        if (t >= 0x80 && t <= 0x8f) {
            return skipN(i + 1, 2L * (t & 0x0f));
        }
        if (t >= 0x90 && t <= 0x9f) {
            return skipN(i + 1, t & 0x0f);
        }
        return switch (t) {
            case 0xcc, 0xd0 -> i + 2;
            case 0xcd, 0xd1 -> i + 3;
            case 0xca, 0xce, 0xd2 -> i + 5;
            case 0xcb, 0xcf, 0xd3 -> i + 9;
            case 0xd4 -> i + 3;
            case 0xd5 -> i + 4;
            case 0xd6 -> i + 6;
            case 0xd7 -> i + 10;
            case 0xd8 -> i + 18;
            case 0xc7 -> i + 3 + (b[i + 1] & 0xff);
            case 0xc8 -> i + 4 + u16(i + 1);
            case 0xc9 -> i + 6 + (int) u32(i + 1);
            case 0xdc -> skipN(i + 3, u16(i + 1));
            case 0xdd -> skipN(i + 5, u32(i + 1));
            case 0xde -> skipN(i + 3, 2L * u16(i + 1));
            case 0xdf -> skipN(i + 5, 2 * u32(i + 1));
            default -> throw new IllegalStateException("byte 0x" + Integer.toHexString(t) + " is not msgpack");
        };
    }

    private int skipN(int i, long n) {
        for (long k = 0; k < n; k++) {
            i = skip(i);
        }
        return i;
    }

    private int u16(int i) {
        return (b[i] & 0xff) << 8 | b[i + 1] & 0xff;
    }

    private long u32(int i) {
        return ((long) u16(i) << 16 | u16(i + 2)) & 0xFFFF_FFFFL;
    }

    private long s64(int i) {
        return u32(i) << 32 | u32(i + 4);
    }
}
