package dev.logpipe.collector.internal.ingest;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the common shape of a JSON log line, one flat object, straight from its bytes: members whose
 * values are strings, numbers, {@code true}, {@code false} or {@code null}. Anything else (a nested
 * object or array, a very long string, a number or key Jackson would refuse or limit, a syntax error)
 * makes it answer {@code false} without deciding anything, and the line goes to Jackson, which
 * decides. So for every line it accepts it must produce what Jackson would: the same keys and
 * string values (escapes decoded, lone surrogates kept), the same number and literal text as sent.
 * {@code JsonFastPathTest} holds it to that, line by line, against the Jackson path.
 *
 * <p>Why: Jackson's non-blocking parser (one state machine for every input shape) was most of an
 * event loop's time per NDJSON record, and its large methods are slow to compile (bench/RESULTS.md).
 *
 * <p>Threading: confined to one connection's event loop; it reuses its member arrays.
 */
final class FlatJsonScanner {

    /** What a member's value is; {@code CONTAINER} (an object or array, as its compacted text) only from Jackson. */
    enum Kind { STRING, INT, FLOAT, LITERAL, CONTAINER }

    /** Longest string (raw bytes) and key taken here; longer ones go to Jackson and its limits. */
    private static final int MAX_STRING_BYTES = 1 << 20;
    private static final int MAX_KEY_BYTES = 1024;
    /** Jackson's default maximum number length (StreamReadConstraints). */
    private static final int MAX_NUMBER_CHARS = 1000;

    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101_0101_0101_0101L;
    private static final long HIGHS = 0x8080_8080_8080_8080L;

    /** The keys of the last lines, by member position: a connection's lines mostly repeat them, so a key equal to the one before is that String again, not a new one. */
    private String[] seenNames = new String[16];
    /** Per member: its key's and its value's raw bytes {@code [start, end)} (a string's without its quotes), kind and escapes. */
    private int[] keyStart = new int[16];
    private int[] keyEnd = new int[16];
    private int[] valueStart = new int[16];
    private int[] valueEnd = new int[16];
    private Kind[] kinds = new Kind[16];
    /** Bit 0: the key has escapes; bit 1: the value (a string) has escapes. */
    private byte[] escapes = new byte[16];
    private int count;

    /** The line {@link #scan} last accepted; the caller's array, valid until its next frame. */
    private byte[] b;
    private int n;
    private int pos;
    /** Whether the string {@link #stringEnd} last read has an escape. */
    private boolean lastEscaped;
    private StringBuilder escaped;
    /** What {@link #unescapeUtf8} decodes into. */
    private byte[] utf8 = new byte[256];
    /** A decode buffer larger than this is dropped on {@link #release}. */
    private static final int MAX_KEPT_UTF8 = 64 * 1024;

    /** Members of the last line {@link #scan} accepted. */
    int count() {
        return count;
    }

    /** Member {@code i}'s key, made a String on demand (the same one as the last lines' at this position when equal). */
    String name(int i) {
        int start = keyStart[i];
        int len = keyEnd[i] - start;
        if ((escapes[i] & 1) == 0) {
            String seen = i < seenNames.length ? seenNames[i] : null;
            if (seen != null && seen.length() == len && sameAscii(seen, start)) {
                return seen;
            }
            String name = new String(b, start, len, StandardCharsets.UTF_8);
            if (name.length() == len) { // ASCII (a String of other UTF-8 is shorter than its bytes)
                if (i >= seenNames.length) {
                    seenNames = Arrays.copyOf(seenNames, Math.max(i + 1, seenNames.length * 2));
                }
                seenNames[i] = name;
            }
            return name;
        }
        return unescape(start, keyEnd[i]);
    }

    /** Member {@code i}'s value as text: a string's content (escapes decoded), a number or literal as sent. */
    String text(int i) {
        int start = valueStart[i];
        int end = valueEnd[i];
        return switch (kinds[i]) {
            case STRING -> (escapes[i] & 2) == 0 ? new String(b, start, end - start, StandardCharsets.UTF_8) : unescape(start, end);
            case LITERAL -> b[start] == 't' ? "true" : b[start] == 'f' ? "false" : "null";
            default -> new String(b, start, end - start, StandardCharsets.ISO_8859_1);
        };
    }

    Kind kind(int i) {
        return kinds[i];
    }

    /** The bytes of the accepted line: member spans index into it. */
    byte[] bytes() {
        return b;
    }

    int keyStart(int i) {
        return keyStart[i];
    }

    int keyEnd(int i) {
        return keyEnd[i];
    }

    /** Whether member {@code i}'s key has an escape (its raw bytes are then not its text). */
    boolean keyEscaped(int i) {
        return (escapes[i] & 1) != 0;
    }

    int valueStart(int i) {
        return valueStart[i];
    }

    int valueEnd(int i) {
        return valueEnd[i];
    }

    /** Whether member {@code i}'s value is a string with an escape. */
    boolean valueEscaped(int i) {
        return (escapes[i] & 2) != 0;
    }

    /** Lets go of the last line's array (a frame's, which may be large), and of a large decode buffer: call when done with its members. */
    void release() {
        b = null;
        if (utf8.length > MAX_KEPT_UTF8) {
            utf8 = new byte[256]; // a huge escaped string does not pin its buffer for the connection's life
        }
        if (kinds.length > MAX_KEPT_MEMBERS) {
            // nor does a line of very many members pin its spans and key Strings: one line of 95,000
            // members kept ~2.5 MB per connection, so 200 idle connections ran the heap out
            keyStart = new int[16];
            keyEnd = new int[16];
            valueStart = new int[16];
            valueEnd = new int[16];
            kinds = new Kind[16];
            escapes = new byte[16];
        }
        if (seenNames.length > MAX_KEPT_MEMBERS) {
            seenNames = Arrays.copyOf(seenNames, MAX_KEPT_MEMBERS);
        }
    }

    /** Member arrays and remembered keys beyond this many are dropped on {@link #release}. */
    static final int MAX_KEPT_MEMBERS = 256;

    /** How many members' spans and keys this scanner holds room for now (for tests). */
    int keptCapacity() {
        return Math.max(kinds.length, seenNames.length);
    }

    /**
     * Reads {@code bytes[0, length)} (valid UTF-8) as one flat object followed only by whitespace.
     * Keeps {@code bytes} until {@link #release}: the members' spans index into it.
     *
     * @return true if the line has that shape and its members are here; false: leave it to Jackson
     */
    boolean scan(byte[] bytes, int length) {
        b = bytes;
        n = length;
        pos = 0;
        count = 0;
        return object();
    }

    private boolean object() {
        skipWs();
        if (pos >= n || b[pos] != '{') {
            return false;
        }
        pos++;
        skipWs();
        if (pos < n && b[pos] == '}') {
            pos++;
            return end();
        }
        while (true) {
            if (pos >= n || b[pos] != '"') {
                return false;
            }
            int kStart = pos + 1;
            int kEnd = key();
            if (kEnd < 0) {
                return false;
            }
            boolean kEscaped = lastEscaped;
            skipWs();
            if (pos >= n || b[pos] != ':') {
                return false;
            }
            pos++;
            skipWs();
            if (pos >= n || !value(kStart, kEnd, kEscaped)) {
                return false;
            }
            skipWs();
            if (pos >= n) {
                return false;
            }
            byte c = b[pos++];
            if (c == '}') {
                return end();
            }
            if (c != ',') {
                return false;
            }
            skipWs();
        }
    }

    private boolean end() {
        skipWs();
        return pos == n;
    }

    private boolean value(int kStart, int kEnd, boolean kEscaped) {
        byte c = b[pos];
        int start = pos;
        int end;
        Kind kind;
        boolean vEscaped = false;
        if (c == '"') {
            end = stringEnd(MAX_STRING_BYTES);
            start++;
            vEscaped = lastEscaped;
            kind = Kind.STRING;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            kind = number();
            end = pos;
            // Jackson gives the integer -0 back as "0"; rather than copy that, leave it to Jackson
            boolean negativeZero = kind == Kind.INT && end - start == 2 && c == '-';
            if (kind == null || negativeZero || end - start > MAX_NUMBER_CHARS) {
                return false;
            }
        } else if (c == 't') {
            end = literal("true");
            kind = Kind.LITERAL;
        } else if (c == 'f') {
            end = literal("false");
            kind = Kind.LITERAL;
        } else if (c == 'n') {
            end = literal("null");
            kind = Kind.LITERAL;
        } else {
            return false; // an object, an array, or not JSON
        }
        if (end < 0) {
            return false;
        }
        add(kStart, kEnd, kEscaped, kind, start, end, vEscaped);
        return true;
    }

    private void add(int kStart, int kEnd, boolean kEscaped, Kind kind, int vStart, int vEnd, boolean vEscaped) {
        if (count == kinds.length) {
            int cap = count * 2;
            keyStart = Arrays.copyOf(keyStart, cap);
            keyEnd = Arrays.copyOf(keyEnd, cap);
            valueStart = Arrays.copyOf(valueStart, cap);
            valueEnd = Arrays.copyOf(valueEnd, cap);
            kinds = Arrays.copyOf(kinds, cap);
            escapes = Arrays.copyOf(escapes, cap);
        }
        keyStart[count] = kStart;
        keyEnd[count] = kEnd;
        valueStart[count] = vStart;
        valueEnd[count] = vEnd;
        kinds[count] = kind;
        escapes[count] = (byte) ((kEscaped ? 1 : 0) | (vEscaped ? 2 : 0));
        count++;
    }

    /** A literal, which must not run on into a letter or digit; its end, or -1 if it is not exactly there. */
    private int literal(String word) {
        int len = word.length();
        if (pos + len > n) {
            return -1;
        }
        for (int i = 0; i < len; i++) {
            if (b[pos + i] != word.charAt(i)) {
                return -1;
            }
        }
        pos += len;
        return pos; // a separator must follow: the caller checks for ',' or '}'
    }

    /** JSON's number grammar exactly ({@code -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?}); null if not. */
    private Kind number() {
        if (b[pos] == '-') {
            pos++;
        }
        if (pos >= n) {
            return null;
        }
        if (b[pos] == '0') {
            pos++;
        } else if (!digits()) {
            return null;
        }
        Kind kind = Kind.INT;
        if (pos < n && b[pos] == '.') {
            pos++;
            if (!digits()) {
                return null;
            }
            kind = Kind.FLOAT;
        }
        if (pos < n && (b[pos] == 'e' || b[pos] == 'E')) {
            pos++;
            if (pos < n && (b[pos] == '+' || b[pos] == '-')) {
                pos++;
            }
            if (!digits()) {
                return null;
            }
            kind = Kind.FLOAT;
        }
        return kind;
    }

    /** One or more digits at {@code pos}, consumed; false if there is none. */
    private boolean digits() {
        if (!digit(pos)) {
            return false;
        }
        while (digit(pos)) {
            pos++;
        }
        return true;
    }

    private boolean digit(int i) {
        return i < n && b[i] >= '0' && b[i] <= '9';
    }

    /** A member's key, at the quote at {@code pos}: where its content ends, or -1. A key the last lines had at this position is taken without a scan. */
    private int key() {
        int start = pos + 1;
        String seen = count < seenNames.length ? seenNames[count] : null;
        if (seen != null) {
            int end = start + seen.length();
            // a seen key is ASCII without escapes, so its chars are its bytes
            if (end < n && b[end] == '"' && sameAscii(seen, start)) {
                pos = end + 1;
                lastEscaped = false;
                return end;
            }
        }
        return stringEnd(MAX_KEY_BYTES);
    }

    private boolean sameAscii(String s, int from) {
        for (int i = 0, len = s.length(); i < len; i++) {
            if (b[from + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The string starting at the quote at {@code pos}: where its content ends (its closing quote), with
     * {@code pos} after that quote and {@link #lastEscaped} set. -1 (leave it to Jackson) at an
     * unescaped control character, a bad escape, the end of the line, or more than {@code maxBytes}
     * raw bytes.
     */
    private int stringEnd(int maxBytes) {
        int start = ++pos;
        int limit = Math.min(n, start + maxBytes);
        int i = start;
        boolean esc = false;
        while (true) {
            // eight bytes at a time, straight to the first quote, backslash or control character
            while (i + 8 <= limit) {
                long w = (long) LONG_LE.get(b, i);
                long quote = w ^ (ONES * '"');
                long slash = w ^ (ONES * '\\');
                long special = (((quote - ONES) & ~quote) | ((slash - ONES) & ~slash) | ((w - ONES * 0x20) & ~w)) & HIGHS;
                if (special != 0) {
                    // Each term's lowest flagged byte is a true match (a borrow can only flag bytes above
                    // one), so the lowest flag of all is the first special byte (never a byte >= 0x80).
                    i += Long.numberOfTrailingZeros(special) >>> 3;
                    break;
                }
                i += 8;
            }
            if (i >= limit) {
                return -1;
            }
            int c = b[i] & 0xFF;
            if (c == '"') {
                pos = i + 1;
                lastEscaped = esc;
                return i;
            }
            if (c == '\\') {
                int len = escapeLength(i, limit);
                if (len < 0) {
                    return -1;
                }
                esc = true;
                i += len;
            } else if (c < 0x20) {
                return -1;
            } else {
                i++;
            }
        }
    }

    /** The length of the escape at {@code i} (a backslash), or -1 if it is not one JSON allows. */
    private int escapeLength(int i, int limit) {
        if (i + 1 >= limit) {
            return -1;
        }
        switch (b[i + 1]) {
            case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
                return 2;
            }
            case 'u' -> {
                if (i + 6 > limit) {
                    return -1;
                }
                for (int k = i + 2; k < i + 6; k++) {
                    if (b[k] < 0 || Character.digit(b[k], 16) < 0) {
                        return -1;
                    }
                }
                return 6;
            }
            default -> {
                return -1;
            }
        }
    }

    /**
     * Member {@code i}'s string value with its escapes decoded, as UTF-8, into {@link #unescaped()};
     * its length, or -1 for an escaped surrogate (a String keeps a lone one, which UTF-8 cannot hold:
     * leave the line to the builder's way). The UTF-8 twin of {@link #text}.
     */
    int unescapeUtf8(int i) {
        int start = valueStart[i];
        int end = valueEnd[i];
        if (utf8.length < end - start) {
            utf8 = new byte[Math.max(end - start, utf8.length * 2)];
        }
        byte[] out = utf8;
        int o = 0;
        int p = start;
        while (p < end) {
            byte c = b[p];
            if (c != '\\') {
                out[o++] = c;
                p++;
                continue;
            }
            byte e = b[p + 1];
            switch (e) {
                case 'b' -> out[o++] = '\b';
                case 'f' -> out[o++] = '\f';
                case 'n' -> out[o++] = '\n';
                case 'r' -> out[o++] = '\r';
                case 't' -> out[o++] = '\t';
                case 'u' -> {
                    int v = Integer.parseInt(new String(b, p + 2, 4, StandardCharsets.ISO_8859_1), 16);
                    if (v >= 0xD800 && v <= 0xDFFF) {
                        return -1;
                    }
                    // six escaped bytes make at most three: the array stays large enough
                    if (v < 0x80) {
                        out[o++] = (byte) v;
                    } else if (v < 0x800) {
                        out[o++] = (byte) (0xC0 | v >> 6);
                        out[o++] = (byte) (0x80 | (v & 0x3F));
                    } else {
                        out[o++] = (byte) (0xE0 | v >> 12);
                        out[o++] = (byte) (0x80 | (v >> 6 & 0x3F));
                        out[o++] = (byte) (0x80 | (v & 0x3F));
                    }
                    p += 4;
                }
                default -> out[o++] = e; // '"', '\\', '/'
            }
            p += 2;
        }
        return o;
    }

    /** The buffer {@link #unescapeUtf8} decodes into; valid until the next call. */
    byte[] unescaped() {
        return utf8;
    }

    /** The text of the string content {@code b[start, end)}, escapes decoded (checked by the scan: they are all valid). */
    private String unescape(int start, int end) {
        StringBuilder sb = escaped == null ? (escaped = new StringBuilder(64)) : escaped;
        sb.setLength(0);
        int run = start;
        int i = start;
        while (i < end) {
            if (b[i] != '\\') {
                i++;
                continue;
            }
            sb.append(new String(b, run, i - run, StandardCharsets.UTF_8));
            byte e = b[i + 1];
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                default -> { // 'u', four hex digits
                    sb.append((char) Integer.parseInt(new String(b, i + 2, 4, StandardCharsets.ISO_8859_1), 16));
                    i += 4;
                }
            }
            i += 2;
            run = i;
        }
        sb.append(new String(b, run, end - run, StandardCharsets.UTF_8));
        String s = sb.toString();
        if (sb.capacity() > 4096) {
            escaped = null; // do not keep a large one for the connection's life
        }
        return s;
    }

    private void skipWs() {
        while (pos < n) {
            byte c = b[pos];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }
}
