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
    private String[] names = new String[16];
    private String[] texts = new String[16];
    private Kind[] kinds = new Kind[16];
    private int count;

    private byte[] b;
    private int n;
    private int pos;
    private StringBuilder escaped;

    /** Members of the last line {@link #scan} accepted. */
    int count() {
        return count;
    }

    String name(int i) {
        return names[i];
    }

    String text(int i) {
        return texts[i];
    }

    Kind kind(int i) {
        return kinds[i];
    }

    /**
     * Reads {@code bytes[0, length)} (valid UTF-8) as one flat object followed only by whitespace.
     *
     * @return true if the line has that shape and its members are here; false: leave it to Jackson
     */
    boolean scan(byte[] bytes, int length) {
        b = bytes;
        n = length;
        pos = 0;
        count = 0;
        try {
            return object();
        } finally {
            b = null;
        }
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
            String name = key();
            if (name == null) {
                return false;
            }
            skipWs();
            if (pos >= n || b[pos] != ':') {
                return false;
            }
            pos++;
            skipWs();
            if (pos >= n || !value(name)) {
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

    private boolean value(String name) {
        byte c = b[pos];
        String text;
        Kind kind;
        if (c == '"') {
            text = string(MAX_STRING_BYTES);
            kind = Kind.STRING;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            int start = pos;
            kind = number();
            // Jackson gives the integer -0 back as "0"; rather than copy that, leave it to Jackson
            boolean negativeZero = kind == Kind.INT && pos - start == 2 && c == '-';
            text = kind == null || negativeZero || pos - start > MAX_NUMBER_CHARS ? null
                    : new String(b, start, pos - start, StandardCharsets.ISO_8859_1);
        } else if (c == 't') {
            text = literal("true");
            kind = Kind.LITERAL;
        } else if (c == 'f') {
            text = literal("false");
            kind = Kind.LITERAL;
        } else if (c == 'n') {
            text = literal("null");
            kind = Kind.LITERAL;
        } else {
            return false; // an object, an array, or not JSON
        }
        if (text == null) {
            return false;
        }
        add(name, kind, text);
        return true;
    }

    private void add(String name, Kind kind, String text) {
        if (count == names.length) {
            names = Arrays.copyOf(names, count * 2);
            texts = Arrays.copyOf(texts, count * 2);
            kinds = Arrays.copyOf(kinds, count * 2);
        }
        names[count] = name;
        texts[count] = text;
        kinds[count] = kind;
        count++;
    }

    /** A literal, which must not run on into a letter or digit; null if it is not exactly there. */
    private String literal(String word) {
        int len = word.length();
        if (pos + len > n) {
            return null;
        }
        for (int i = 0; i < len; i++) {
            if (b[pos + i] != word.charAt(i)) {
                return null;
            }
        }
        pos += len;
        return word; // a separator must follow: the caller checks for ',' or '}'
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

    /** A member's key: the String the last lines had at this position when the bytes are the same. */
    private String key() {
        int start = pos + 1;
        int at = count;
        String seen = at < seenNames.length ? seenNames[at] : null;
        if (seen != null) {
            int len = seen.length();
            int end = start + len;
            // a seen key is ASCII without escapes, so its chars are its bytes
            if (end < n && b[end] == '"' && sameAscii(seen, start)) {
                pos = end + 1;
                return seen;
            }
        }
        String name = string(MAX_KEY_BYTES);
        if (name != null && pos - start - 1 == name.length() && isPlainAscii(name)) {
            if (at >= seenNames.length) {
                seenNames = Arrays.copyOf(seenNames, Math.max(at + 1, seenNames.length * 2));
            }
            seenNames[at] = name;
        }
        return name;
    }

    private boolean sameAscii(String s, int from) {
        for (int i = 0, len = s.length(); i < len; i++) {
            if (b[from + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPlainAscii(String s) {
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || c == '\\' || c == '"') {
                return false;
            }
        }
        return true;
    }

    /**
     * The string starting at the quote at {@code pos}, escapes decoded; {@code pos} ends after its
     * closing quote. Null (leave it to Jackson) at an unescaped control character, a bad escape, the
     * end of the line, or more than {@code maxBytes} raw bytes.
     */
    private String string(int maxBytes) {
        int start = ++pos;
        int limit = Math.min(n, start + maxBytes);
        int i = start;
        // eight bytes at a time up to the first quote, backslash or control character
        while (i + 8 <= limit) {
            long w = (long) LONG_LE.get(b, i);
            long quote = w ^ (ONES * '"');
            long slash = w ^ (ONES * '\\');
            long special = ((quote - ONES) & ~quote) | ((slash - ONES) & ~slash) | ((w - ONES * 0x20) & ~w);
            if ((special & HIGHS) != 0) {
                break; // one of the eight (or a byte >= 0x80, which the loop below passes)
            }
            i += 8;
        }
        while (i < limit) {
            int c = b[i] & 0xFF;
            if (c == '"') {
                pos = i + 1;
                return new String(b, start, i - start, StandardCharsets.UTF_8);
            }
            if (c == '\\') {
                return escapedString(start, i, limit);
            }
            if (c < 0x20) {
                return null;
            }
            i++;
        }
        return null;
    }

    private String escapedString(int start, int firstEscape, int limit) {
        StringBuilder sb = escaped == null ? (escaped = new StringBuilder(64)) : escaped;
        sb.setLength(0);
        int run = start;
        int i = firstEscape;
        while (i < limit) {
            int c = b[i] & 0xFF;
            if (c == '"') {
                sb.append(new String(b, run, i - run, StandardCharsets.UTF_8));
                pos = i + 1;
                String s = sb.toString();
                if (sb.capacity() > 4096) {
                    escaped = null; // do not keep a large one for the connection's life
                }
                return s;
            }
            if (c < 0x20) {
                return null;
            }
            if (c != '\\') {
                i++;
                continue;
            }
            sb.append(new String(b, run, i - run, StandardCharsets.UTF_8));
            if (i + 1 >= limit) {
                return null;
            }
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
                case 'u' -> {
                    if (i + 6 > limit) {
                        return null;
                    }
                    int v = 0;
                    for (int k = i + 2; k < i + 6; k++) {
                        int h = Character.digit(b[k], 16);
                        if (h < 0 || b[k] < 0) {
                            return null;
                        }
                        v = v << 4 | h;
                    }
                    sb.append((char) v);
                    i += 4;
                }
                default -> {
                    return null;
                }
            }
            i += 2;
            run = i;
        }
        return null;
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
