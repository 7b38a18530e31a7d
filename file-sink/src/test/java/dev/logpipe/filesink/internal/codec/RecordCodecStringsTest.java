package dev.logpipe.filesink.internal.codec;

import dev.logpipe.filesink.LogRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The codec's two ways of writing a string — copying a Latin-1 string's own array, and reading it
 * char by char — must give the same bytes, which must be the string's UTF-8, at every length and with
 * a non-ASCII character at every position (the word-wise ASCII check has a different path for
 * lengths below 4, below 8 and from 8 up, and a last word that overlaps the one before).
 */
class RecordCodecStringsTest {

    @Test
    void theFastPathIsOnUnderTheProjectsJvmFlags() {
        // surefire's argLine opens java.base/java.lang like every launch does; without this the tests
        // below would compare the slow path with itself
        assertTrue(StringBytes.available(), "StringBytes needs --add-opens java.base/java.lang=ALL-UNNAMED");
        assertArrayEquals("abc".getBytes(StandardCharsets.ISO_8859_1), StringBytes.latin1("abc"));
        assertNull(StringBytes.latin1("日本"), "a UTF-16 string has no Latin-1 array");
    }

    @Test
    void bothPathsWriteUtf8ForEveryLengthAndPosition() {
        List<String> samples = new ArrayList<>();
        for (int len = 0; len <= 40; len++) {
            samples.add(ascii(len));
            for (int at = 0; at < len; at++) {
                for (char odd : new char[] {'\u0080', 'é', '\u00FF', 'ā', '\u07FF', '日', '\uFFFD'}) {
                    char[] c = ascii(len).toCharArray();
                    c[at] = odd;
                    samples.add(new String(c));
                }
            }
        }
        samples.add("\u007F\u007F\u007F\u007F\u007F\u007F\u007F\u007F\u007F"); // DEL is ASCII
        samples.add("rocket \uD83D\uDE80 ok");
        RecordCodec fast = new RecordCodec(true);
        RecordCodec slow = new RecordCodec(false);
        for (String s : samples) {
            // only the message set: after the 32-byte head come the flags varint and the empty host,
            // service and source (one 0 byte each), then the message as its length and UTF-8 bytes
            // (every sample is under 128 bytes: a one-byte length), then a field count of 0
            LogRecord only = LogRecord.builder().receiveTimeNanos(1).eventTimeNanos(2).message(s).build();
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            byte[] expected = new byte[utf8.length + 2];
            expected[0] = (byte) utf8.length;
            System.arraycopy(utf8, 0, expected, 1, utf8.length);
            for (RecordCodec codec : List.of(fast, slow)) {
                byte[] enc = encode(codec, only);
                assertArrayEquals(expected, Arrays.copyOfRange(enc, 36, enc.length),
                        () -> "the message is its UTF-8 for " + escape(s));
            }
            LogRecord r = LogRecord.builder().receiveTimeNanos(1).eventTimeNanos(2).message(s).host(s)
                    .field(s, s).build();
            byte[] a = encode(fast, r);
            assertArrayEquals(encode(slow, r), a, () -> "fast and slow paths differ for " + escape(s));
            assertEquals(r, fast.decode(a, a.length), () -> "round trip of " + escape(s));
        }
    }

    @Test
    void asciiCheckLooksAtEveryByte() {
        // the JDK's intrinsic is reachable with the flags every logpipe launch (and this test) has
        assertTrue(StringBytes.hasNegatives(new byte[] {1}, 1) != null, "StringCoding.hasNegatives reachable");
        for (int len = 0; len <= 70; len++) {
            byte[] b = ascii(len).getBytes(StandardCharsets.ISO_8859_1);
            assertTrue(RecordCodec.isAscii(b), "len " + len);
            assertTrue(RecordCodec.isAsciiByWords(b), "len " + len);
            for (int at = 0; at < len; at++) {
                byte[] c = b.clone();
                c[at] = (byte) 0x80;
                assertFalse(RecordCodec.isAscii(c), "len " + len + " high bit at " + at);
                assertFalse(RecordCodec.isAsciiByWords(c), "len " + len + " high bit at " + at);
            }
        }
    }

    private static String ascii(int len) {
        StringBuilder sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            sb.append((char) ('a' + i % 26));
        }
        return sb.toString();
    }

    private static byte[] encode(RecordCodec codec, LogRecord r) {
        int n = codec.encode(r, 0L);
        return Arrays.copyOf(codec.buffer(), n);
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c < 0x80 ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return sb.toString();
    }
}
