package dev.logpipe.filesink.internal.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IsoInstantTest {

    private static String jdk(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L)).toString();
    }

    private final IsoInstant iso = new IsoInstant();

    @Test
    void writesWhatInstantWrites() {
        long[] edges = {0L, 1L, 999L, 1_000L, 1_000_000L, 999_999_999L, 1_000_000_000L, -1L, -1_000_000_000L,
                1_765_000_000_000_000_000L, 1_765_000_000_100_000_000L, 1_765_000_000_120_000_000L,
                1_765_000_000_123_400_000L, 1_765_000_000_123_456_000L, 1_765_000_000_123_456_700L,
                Long.MAX_VALUE, Long.MIN_VALUE};
        for (long n : edges) {
            assertEquals(jdk(n), iso.of(n), Long.toString(n));
        }
        Random rnd = new Random(7);
        long base = 1_765_000_000_000_000_000L;
        for (int i = 0; i < 200_000; i++) {
            // runs of times within one second (the cache), sub-second values of every shape, and far ones
            long n = switch (i % 4) {
                case 0 -> base + rnd.nextInt(1_000_000_000);
                case 1 -> base + rnd.nextInt(1_000) * 1_000_000L;
                case 2 -> base + rnd.nextInt(1_000_000) * 1_000L;
                default -> rnd.nextLong();
            };
            if (i % 1000 == 0) {
                base += 1_000_000_000L;
            }
            assertEquals(jdk(n), iso.of(n), Long.toString(n));
        }
    }
}
