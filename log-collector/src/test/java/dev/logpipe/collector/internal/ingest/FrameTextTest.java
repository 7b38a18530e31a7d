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
}
