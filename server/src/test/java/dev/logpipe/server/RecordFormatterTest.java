package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;

import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordFormatterTest {

    @Test
    void theTimeColumnIsWhatTheFormatterWrites() {
        RecordFormatter f = new RecordFormatter(false);
        Random rnd = new Random(11);
        long base = 1_765_000_000_000_000_000L;
        long[] edges = {0L, 999_999L, 1_000_000L, 999_999_999L, -1L, -1_000_000L, Long.MAX_VALUE, Long.MIN_VALUE};
        for (long n : edges) {
            assertEquals(RecordFormatter.time(instant(n)), f.appendTime(new StringBuilder(), n).toString(), Long.toString(n));
        }
        for (int i = 0; i < 100_000; i++) {
            long n = i % 3 == 2 ? rnd.nextLong() : base + rnd.nextInt(1_000_000_000); // runs within a second, and far
            if (i % 500 == 0) {
                base += 1_000_000_000L;
            }
            assertEquals(RecordFormatter.time(instant(n)), f.appendTime(new StringBuilder(), n).toString(), Long.toString(n));
        }
    }

    /**
     * One record is one line, whatever its parts hold: a service or host with a line break used to be
     * printed as is, so a sender could forge a whole FATAL line under someone else's name, or send
     * terminal escapes in a hostname.
     */
    @Test
    void everyPartIsEscapedSoARecordIsOneLineAndNoTerminalEscapePasses() {
        RecordFormatter f = new RecordFormatter(false);
        LogRecord r = LogRecord.builder().eventTimeNanos(0).level(Level.INFO)
                .service("svc\n2026-11-25T17:00:00.000Z FATAL payments db-1  money sent")
                .host("h\u001b[2Jx\ry")
                .message("next\u0085line\u2028sep\u2029para\u009b31m\u007f")
                .field("k\nforged", "v")
                .field("value", "a\u2028b \u009b")
                .fieldJson("json", "[\"\u2028\"]")
                .build();
        String line = f.text(new ReadRecord(1, r));
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            assertTrue(c >= 0x20 && !(c >= 0x7f && c <= 0x9f) && c != 0x2028 && c != 0x2029,
                    "U+" + Integer.toHexString(c) + " at " + i + " of " + line);
        }
        assertTrue(line.contains("svc\\n2026-11-25T17:00:00.000Z FATAL"), line);
        assertTrue(line.contains("h\\u001b[2Jx\\ry"), line);
        assertTrue(line.contains("next\\u0085line\\u2028sep\\u2029para\\u009b31m\\u007f"), line);
        assertTrue(line.contains(" k\\nforged=v"), line);
        assertTrue(line.contains(" value=\"a\\u2028b \\u009b\""), line);
        assertTrue(line.contains(" json=[\"\\u2028\"]"), line);
    }

    private static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
