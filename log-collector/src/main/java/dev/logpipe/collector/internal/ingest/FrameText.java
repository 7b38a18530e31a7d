package dev.logpipe.collector.internal.ingest;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * One frame's bytes, copied out of the connection's buffer, with what a single scan learned about
 * them: whether they are valid UTF-8 and whether they look like binary garbage.
 *
 * <p>Threading: confined to the connection's event loop; the byte array is the connection's scratch
 * buffer, valid only until the next frame (parsers must not keep it).
 */
final class FrameText {

    /** Garbage: more than this many tenths of the bytes are control characters or invalid UTF-8. */
    private static final int GARBAGE_TENTHS = 3;

    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101_0101_0101_0101L;
    private static final long HIGHS = 0x8080_8080_8080_8080L;

    final byte[] bytes;
    final int length;
    final boolean validUtf8;
    final boolean garbage;
    private String text;

    private FrameText(byte[] bytes, int length, boolean validUtf8, boolean garbage) {
        this.bytes = bytes;
        this.length = length;
        this.validUtf8 = validUtf8;
        this.garbage = garbage;
    }

    /**
     * Scans {@code bytes[0, length)} once: validates UTF-8 (overlong forms, surrogates and code points
     * above U+10FFFF are invalid) and counts NUL, other C0 controls except TAB/LF/CR, and DEL.
     */
    static FrameText scan(byte[] bytes, int length) {
        int bad = 0;
        int controls = 0;
        boolean nul = false;
        int i = 0;
        int bytewiseUntil = 0; // after a word that is not plain, the next 8 bytes go one by one
        while (i < length) {
            if (i >= bytewiseUntil && i + 8 <= length) {
                if (plainAscii((long) LONG_LE.get(bytes, i))) {
                    i += 8;
                    continue;
                }
                bytewiseUntil = i + 8;
            }
            int b = bytes[i] & 0xFF;
            if (b < 0x80) {
                if (b < 0x20 || b == 0x7F) {
                    if (b == 0) {
                        nul = true;
                    } else if (b != '\t' && b != '\n' && b != '\r') {
                        controls++;
                    }
                }
                i++;
                continue;
            }
            int need;
            int min;
            int cp;
            if (b >= 0xC2 && b <= 0xDF) {
                need = 1;
                min = 0x80;
                cp = b & 0x1F;
            } else if (b >= 0xE0 && b <= 0xEF) {
                need = 2;
                min = 0x800;
                cp = b & 0x0F;
            } else if (b >= 0xF0 && b <= 0xF4) {
                need = 3;
                min = 0x10000;
                cp = b & 0x07;
            } else {
                bad++; // stray continuation byte, C0/C1 overlong lead, or F5..FF
                i++;
                continue;
            }
            int j = 1;
            for (; j <= need; j++) {
                if (i + j >= length || (bytes[i + j] & 0xC0) != 0x80) {
                    break;
                }
                cp = (cp << 6) | (bytes[i + j] & 0x3F);
            }
            if (j <= need || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                bad++;
                i += j <= need ? j : need + 1; // skip the lead and the continuation bytes it claimed
                continue;
            }
            i += need + 1;
        }
        boolean garbage = nul || (long) (controls + bad) * 10 > (long) length * GARBAGE_TENTHS;
        return new FrameText(bytes, length, bad == 0, garbage);
    }

    /** True if all 8 bytes of {@code w} are printable ASCII, 0x20-0x7E: nothing to count or decode. */
    private static boolean plainAscii(long w) {
        long below20 = (w - 0x20 * ONES) & ~w;     // high bit set where a byte is below 0x20 (or has it already)
        long x = w ^ (0x7F * ONES);                // zero where a byte is DEL
        long del = (x - ONES) & ~x;
        return ((w | below20 | del) & HIGHS) == 0;
    }

    /** The frame as text; invalid UTF-8 is replaced by U+FFFD (the JDK decoder's replacement). */
    String text() {
        if (text == null) {
            text = new String(bytes, 0, length, StandardCharsets.UTF_8);
        }
        return text;
    }
}
