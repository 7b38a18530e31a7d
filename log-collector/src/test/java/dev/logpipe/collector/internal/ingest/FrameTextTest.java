package dev.logpipe.collector.internal.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameTextTest {

    private static FrameText scan(byte... bytes) {
        return FrameText.scan(bytes, bytes.length);
    }

    private static FrameText scan(String s) {
        return scan(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void validUtf8OfEveryLengthIsValid() {
        FrameText t = scan("ascii é € 𝄞 中文 \t tab");
        assertTrue(t.validUtf8);
        assertFalse(t.garbage);
        assertEquals("ascii é € 𝄞 中文 \t tab", t.text());
    }

    @Test
    void invalidSequencesAreFoundAndReplaced() {
        byte[][] bad = {
            {'a', (byte) 0xC3},                          // truncated 2-byte sequence at the end
            {'a', (byte) 0x80, 'b', 'c', 'd'},           // stray continuation byte
            {(byte) 0xC0, (byte) 0xAF, 'a', 'b', 'c', 'd', 'e'}, // overlong '/'
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80, 'a', 'b', 'c', 'd', 'e', 'f', 'g'}, // UTF-16 surrogate
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, 'a', 'b', 'c', 'd', 'e', 'f', 'g'}, // > U+10FFFF
            {'c', 'a', 'f', (byte) 0xE9},                // Latin-1 "café"
        };
        for (byte[] b : bad) {
            FrameText t = scan(b);
            assertFalse(t.validUtf8, () -> java.util.Arrays.toString(b));
            assertTrue(t.text().contains("\uFFFD"));
        }
        assertFalse(scan(new byte[] {'c', 'a', 'f', (byte) 0xE9}).garbage, "one bad byte in four is text");
    }

    @Test
    void nulOrMostlyNonPrintableIsGarbage() {
        assertTrue(scan("hello\0world").garbage);
        assertTrue(scan(new byte[] {1, 2, 3, 'a', 'b', 4}).garbage);
        assertTrue(scan(new byte[] {(byte) 0xFF, (byte) 0xFE, (byte) 0x89, 'P', 'N', 'G'}).garbage);
        assertFalse(scan("\u001b[31mERROR\u001b[0m disk full on /dev/sda1").garbage, "ANSI colours are text");
    }

    /** The byte-at-a-time scan the word-at-a-time one must agree with. */
    private static boolean[] reference(byte[] bytes, int length) {
        int bad = 0;
        int controls = 0;
        boolean nul = false;
        int i = 0;
        while (i < length) {
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
        boolean garbage = nul || (long) (controls + bad) * 10 > (long) length * 3;
        return new boolean[] {bad == 0, garbage};
    }

    /** A byte to count at every place of a frame's first three words and its tail, whatever the frame's length. */
    @Test
    void aByteToCountAtAnyPlaceOfAShortFrameIsSeen() {
        byte[][] specials = {{0}, {(byte) 0xFF}, {(byte) 0xC3}, {0x1F}, {(byte) 0xC3, (byte) 0xA9}, {0x7F}};
        for (int length = 1; length <= 24; length++) {
            for (byte[] special : specials) {
                for (int at = 0; at + special.length <= length; at++) {
                    byte[] b = "abcdefghijklmnopqrstuvwxyz".substring(0, length).getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(special, 0, b, at, special.length);
                    FrameText t = FrameText.scan(b, b.length);
                    boolean[] expected = reference(b, b.length);
                    String what = java.util.Arrays.toString(b);
                    assertEquals(expected[0], t.validUtf8, () -> "validUtf8 of " + what);
                    assertEquals(expected[1], t.garbage, () -> "garbage of " + what);
                }
            }
        }
        assertTrue(FrameText.scan(new byte[] {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 0}, 10).garbage, "a NUL last");
        assertFalse(FrameText.scan(new byte[] {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', (byte) 0xC3}, 10).validUtf8,
                "a sequence cut by the end");
    }

    @Test
    void theWordAtATimeScanAgreesWithTheByteAtATimeOne() {
        java.util.Random rnd = new java.util.Random(42);
        byte[][] pieces = {"plain text ".getBytes(StandardCharsets.UTF_8), "é€𝄞中".getBytes(StandardCharsets.UTF_8),
            {0x7F}, {0x1F}, {0x20}, {0x7E}, {'\t'}, {'\r'}, {0}, {(byte) 0x80}, {(byte) 0xC3}, {(byte) 0xFF},
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}};
        for (int n = 0; n < 20_000; n++) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int parts = rnd.nextInt(12);
            for (int p = 0; p < parts; p++) {
                byte[] piece = pieces[rnd.nextInt(pieces.length)];
                int repeat = 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 20);
                for (int r = 0; r < repeat; r++) {
                    out.writeBytes(piece);
                }
            }
            byte[] b = out.toByteArray();
            FrameText t = FrameText.scan(b, b.length);
            boolean[] expected = reference(b, b.length);
            assertEquals(expected[0], t.validUtf8, () -> "validUtf8 of " + java.util.Arrays.toString(b));
            assertEquals(expected[1], t.garbage, () -> "garbage of " + java.util.Arrays.toString(b));
        }
    }
}
