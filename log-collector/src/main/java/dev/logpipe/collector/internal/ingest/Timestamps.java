package dev.logpipe.collector.internal.ingest;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.LocalDate;

/**
 * Parses the event times senders write: RFC 3339 / ISO 8601 text and Unix epoch numbers.
 *
 * <p>Epoch numbers are read by magnitude (of the absolute value): below 1e11 they are seconds (a
 * fraction is kept to the nanosecond), below 1e14 milliseconds, below 1e17 microseconds, above that
 * nanoseconds. So seconds cover 1970 to year 5138, milliseconds from 1973-03-03 on, microseconds
 * from 1973-03-03 on, nanoseconds from 1973-03-03 to 2262; a millisecond time before 1973 would be
 * read as seconds.
 *
 * <p>Threading: stateless, thread-safe.
 */
final class Timestamps {

    /** Returned when a text or number is not a usable time. */
    static final long NONE = Long.MIN_VALUE;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final BigDecimal E11 = BigDecimal.valueOf(100_000_000_000L);
    private static final BigDecimal E14 = BigDecimal.valueOf(100_000_000_000_000L);
    private static final BigDecimal E17 = BigDecimal.valueOf(100_000_000_000_000_000L);
    private static final int[] POW10 = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
        100_000_000, 1_000_000_000};

    private Timestamps() {
    }

    /**
     * Parses {@code s[start, end)} as an RFC 3339 / ISO 8601 date-time: {@code YYYY-MM-DD}, then
     * {@code T}, {@code t} or a space, {@code hh:mm:ss}, an optional fraction ({@code .} or {@code ,},
     * any number of digits, kept to the nanosecond), and an optional offset ({@code Z}, {@code z},
     * {@code ±hh:mm}, {@code ±hhmm} or {@code ±hh}; none means UTC). A leap second (:60) counts as
     * the next second's start.
     *
     * @param requireTime false to also accept a bare date (midnight UTC)
     * @return nanoseconds since the epoch, or {@link #NONE}
     */
    static long parseDateTime(CharSequence s, int start, int end, boolean requireTime) {
        int p = start;
        if (end - p < 10) {
            return NONE;
        }
        int year = digits(s, p, 4);
        if (year < 0 || s.charAt(p + 4) != '-') {
            return NONE;
        }
        int month = digits(s, p + 5, 2);
        if (month < 1 || month > 12 || s.charAt(p + 7) != '-') {
            return NONE;
        }
        int day = digits(s, p + 8, 2);
        if (day < 1 || day > 31) {
            return NONE;
        }
        p += 10;
        int hour = 0;
        int minute = 0;
        int second = 0;
        int nanos = 0;
        int offsetSeconds = 0;
        if (p == end) {
            if (requireTime) {
                return NONE;
            }
        } else {
            char sep = s.charAt(p);
            if (sep != 'T' && sep != 't' && sep != ' ') {
                return NONE;
            }
            p++;
            if (end - p < 8 || s.charAt(p + 2) != ':' || s.charAt(p + 5) != ':') {
                return NONE;
            }
            hour = digits(s, p, 2);
            minute = digits(s, p + 3, 2);
            second = digits(s, p + 6, 2);
            if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
                return NONE;
            }
            p += 8;
            if (p < end && (s.charAt(p) == '.' || s.charAt(p) == ',')) {
                p++;
                int n = 0;
                while (p < end && isDigit(s.charAt(p))) {
                    if (n < 9) {
                        nanos = nanos * 10 + (s.charAt(p) - '0');
                    }
                    n++;
                    p++;
                }
                if (n == 0) {
                    return NONE;
                }
                if (n < 9) {
                    nanos *= POW10[9 - n];
                }
            }
            if (p < end) {
                char z = s.charAt(p);
                if (z == 'Z' || z == 'z') {
                    p++;
                } else if (z == '+' || z == '-') {
                    p++;
                    int oh = p + 2 <= end ? digits(s, p, 2) : -1;
                    if (oh < 0 || oh > 23) {
                        return NONE;
                    }
                    p += 2;
                    int om = 0;
                    if (p < end) {
                        if (s.charAt(p) == ':') {
                            p++;
                        }
                        om = p + 2 <= end ? digits(s, p, 2) : -1;
                        if (om < 0 || om > 59) {
                            return NONE;
                        }
                        p += 2;
                    }
                    offsetSeconds = (oh * 3600 + om * 60) * (z == '-' ? -1 : 1);
                } else {
                    return NONE;
                }
            }
            if (p != end) {
                return NONE;
            }
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException e) {
            return NONE; // e.g. February 30
        }
        long seconds = epochDay * 86_400L + hour * 3600L + minute * 60L + second - offsetSeconds;
        return secondsToNanos(seconds, nanos);
    }

    /** Seconds plus nanos as nanoseconds since the epoch, or {@link #NONE} if it does not fit a long. */
    static long secondsToNanos(long seconds, long nanos) {
        try {
            return Math.addExact(Math.multiplyExact(seconds, NANOS_PER_SECOND), nanos);
        } catch (ArithmeticException e) {
            return NONE;
        }
    }

    /** An integral epoch number in seconds, ms, µs or ns by magnitude (see the class comment). */
    static long fromEpoch(long v) {
        long a = Math.abs(v);
        try {
            if (v == Long.MIN_VALUE) {
                return NONE;
            } else if (a < 100_000_000_000L) {
                return Math.multiplyExact(v, NANOS_PER_SECOND);
            } else if (a < 100_000_000_000_000L) {
                return Math.multiplyExact(v, 1_000_000L);
            } else if (a < 100_000_000_000_000_000L) {
                return Math.multiplyExact(v, 1_000L);
            }
            return v;
        } catch (ArithmeticException e) {
            return NONE;
        }
    }

    /** An epoch number with a fraction or exponent, exactly, by magnitude (see the class comment). */
    static long fromEpoch(BigDecimal v) {
        BigDecimal a = v.abs();
        int scale;
        if (a.compareTo(E11) < 0) {
            scale = 9;
        } else if (a.compareTo(E14) < 0) {
            scale = 6;
        } else if (a.compareTo(E17) < 0) {
            scale = 3;
        } else {
            scale = 0;
        }
        try {
            return v.movePointRight(scale).setScale(0, RoundingMode.FLOOR).longValueExact();
        } catch (ArithmeticException e) {
            return NONE;
        }
    }

    /** An epoch number written as text, e.g. {@code "1700000000.5"}; {@link #NONE} if it is not one. */
    static long fromEpochText(String text) {
        int n = text.length();
        if (n == 0 || n > 40) {
            return NONE;
        }
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (!(isDigit(c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
                return NONE;
            }
        }
        try {
            return fromEpoch(new BigDecimal(text));
        } catch (NumberFormatException e) {
            return NONE;
        }
    }

    /** The value of {@code count} decimal digits at {@code p}, or -1. */
    static int digits(CharSequence s, int p, int count) {
        if (p + count > s.length()) {
            return -1;
        }
        int v = 0;
        for (int i = 0; i < count; i++) {
            char c = s.charAt(p + i);
            if (!isDigit(c)) {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
