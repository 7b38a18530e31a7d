package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    private static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
