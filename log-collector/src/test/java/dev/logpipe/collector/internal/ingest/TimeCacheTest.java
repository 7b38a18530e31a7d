package dev.logpipe.collector.internal.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TimeCacheTest {

    private static long parse(String s) {
        return Timestamps.parseDateTime(s, 0, s.length(), false);
    }

    /** The cache's answer for {@code s} placed at an offset inside a larger array, as a line holds it. */
    private static long lookup(TimeCache cache, String s) {
        byte[] b = ("{\"ts\":\"" + s + "\"}").getBytes(StandardCharsets.US_ASCII);
        return cache.lookup(b, 7, 7 + s.length());
    }

    private static void remember(TimeCache cache, String s) {
        byte[] b = ("  " + s).getBytes(StandardCharsets.US_ASCII);
        cache.remember(b, 2, 2 + s.length(), parse(s));
    }

    @Test
    void aNewCacheAnswersNothing() {
        TimeCache cache = new TimeCache();
        for (String s : new String[] {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.5Z", "2026-12-07T16:40:00.5Z",
                "2026-12-07T16:40:00Z", "2026-12-07T16:40:00.5+01:00", "\0".repeat(TimeCache.PREFIX) + ".5Z"}) {
            assertEquals(Timestamps.NONE, lookup(cache, s), s);
        }
    }

    @Test
    void aRememberedSecondReplacesTheLastOne() {
        TimeCache cache = new TimeCache();
        remember(cache, "2026-12-07T16:40:00.5Z");
        assertEquals(parse("2026-12-07T16:40:00.999Z"), lookup(cache, "2026-12-07T16:40:00.999Z"));
        assertEquals(parse("2026-12-07T16:40:00Z"), lookup(cache, "2026-12-07T16:40:00Z"));
        assertEquals(Timestamps.NONE, lookup(cache, "2026-12-07T16:40:01.5Z"));
        assertEquals(Timestamps.NONE, lookup(cache, "2026-12-07t16:40:00.5Z")); // another separator: another prefix
        assertEquals(Timestamps.NONE, lookup(cache, "2026-12-07T16:40:00.5+01:00"));
        assertEquals(Timestamps.NONE, lookup(cache, "2026-12-07T16:40:00.Z"));
        remember(cache, "2026-12-07T16:40:01Z");
        assertEquals(parse("2026-12-07T16:40:01.75Z"), lookup(cache, "2026-12-07T16:40:01.75Z"));
        assertEquals(Timestamps.NONE, lookup(cache, "2026-12-07T16:40:00.5Z"));
        // a time with an offset, or none that parses, is not remembered: the last second stays
        remember(cache, "2026-12-07T17:40:02.5+01:00");
        remember(cache, "2026-13-07T16:40:02.5Z");
        assertEquals(parse("2026-12-07T16:40:01.25Z"), lookup(cache, "2026-12-07T16:40:01.25Z"));
    }

    /** Random times of a few seconds around the epoch, a leap second and today, as a connection sends them. */
    @Test
    void whateverItAnswersIsWhatTheParseGives() {
        SplittableRandom random = new SplittableRandom(34);
        String[] seconds = {"1970-01-01T00:00:00", "1970-01-01T00:00:01", "1969-12-31T23:59:59",
                "2016-12-31T23:59:60", "2026-12-07T16:40:00", "2026-12-07 16:40:00", "2026-12-07t16:40:01"};
        String[] tails = {"Z", "z", ".5Z", ",5Z", ".Z", ".123456789Z", ".1234567891Z", ".000001z", "+01:00",
                ".5+01:00", "", ".5", ".5ZZ", ".x5Z"};
        TimeCache cache = new TimeCache();
        int answered = 0;
        for (int i = 0; i < 20_000; i++) {
            String s = seconds[random.nextInt(seconds.length)] + tails[random.nextInt(tails.length)];
            long got = lookup(cache, s);
            if (got != Timestamps.NONE) {
                assertEquals(parse(s), got, s);
                answered++;
            } else if (random.nextBoolean()) {
                remember(cache, s);
            }
        }
        assertTrue(answered > 1_000, "the cache answered " + answered + " of 20,000");
    }
}
