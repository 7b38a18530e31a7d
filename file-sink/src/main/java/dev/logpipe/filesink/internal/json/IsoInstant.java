package dev.logpipe.filesink.internal.json;

import java.time.Instant;

/**
 * {@link Instant#toString()} of a time in epoch nanoseconds, exactly ({@code 2026-12-07T12:31:50.156375922Z};
 * the fraction in groups of three digits, none when zero), without a {@code DateTimeFormatter} per call:
 * the date and time of day of the last second asked are kept, and a journal's records come many to a
 * second. Every record written as JSON ({@code tail --format json}, the Kafka forwarder) has two times,
 * its event time and its receive time, often in different seconds: one instance for each.
 *
 * <p>Threading: thread-safe; the kept second is an immutable value swapped whole.
 */
final class IsoInstant {

    private record Second(long epochSecond, String text) {
    }

    private volatile Second last = new Second(Long.MIN_VALUE, "");

    String of(long epochNanos) {
        long sec = Math.floorDiv(epochNanos, 1_000_000_000L);
        int nano = (int) Math.floorMod(epochNanos, 1_000_000_000L);
        if (sec < 0) {
            return Instant.ofEpochSecond(sec, nano).toString(); // before 1970: rare, left to the JDK
        }
        Second s = last;
        if (s.epochSecond() != sec) {
            String whole = Instant.ofEpochSecond(sec).toString(); // yyyy-MM-ddTHH:mm:ssZ
            s = new Second(sec, whole.substring(0, whole.length() - 1));
            last = s;
        }
        String prefix = s.text();
        if (nano == 0) {
            return prefix + 'Z';
        }
        int digits = nano % 1_000_000 == 0 ? 3 : nano % 1_000 == 0 ? 6 : 9;
        int value = digits == 3 ? nano / 1_000_000 : digits == 6 ? nano / 1_000 : nano;
        char[] c = new char[prefix.length() + 1 + digits + 1];
        prefix.getChars(0, prefix.length(), c, 0);
        int p = prefix.length();
        c[p] = '.';
        for (int i = p + digits; i > p; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
        c[c.length - 1] = 'Z';
        return new String(c);
    }
}
