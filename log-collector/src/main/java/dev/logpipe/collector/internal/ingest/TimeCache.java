package dev.logpipe.collector.internal.ingest;

import java.util.Arrays;

/**
 * The last RFC 3339 time of a connection's usual shape ({@code YYYY-MM-DDThh:mm:ss}, an optional
 * fraction, then {@code Z}) and the second it names: the next lines' times mostly share their date and
 * second, so a time whose first 19 bytes are the same only has its fraction read. What it gives is
 * what {@link Timestamps#parseDateTime} gives for the same text, exactly: it only remembers the second
 * of a time that parse read, and it answers only for the shape whose value is that second plus the
 * fraction.
 *
 * <p>Threading: confined to one connection's event loop.
 */
final class TimeCache {

    /** Bytes in {@code YYYY-MM-DDThh:mm:ss}. */
    static final int PREFIX = 19;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final byte[] prefix = new byte[PREFIX];
    private long seconds;
    private boolean have;

    /** The time in {@code b[start, end)} if it shares the remembered second, else {@link Timestamps#NONE}. */
    long lookup(byte[] b, int start, int end) {
        if (!have || end - start <= PREFIX || !Arrays.equals(b, start, start + PREFIX, prefix, 0, PREFIX)) {
            return Timestamps.NONE;
        }
        long fraction = utcFraction(b, start + PREFIX, end);
        return fraction < 0 ? Timestamps.NONE : Timestamps.secondsToNanos(seconds, fraction);
    }

    /** Remembers the time in {@code b[start, end)}, which the full parse read as {@code nanos}, if it has the usual shape. */
    void remember(byte[] b, int start, int end, long nanos) {
        if (nanos == Timestamps.NONE || end - start <= PREFIX || !usualPrefix(b, start)) {
            return;
        }
        long fraction = utcFraction(b, start + PREFIX, end);
        if (fraction >= 0) {
            // no offset: the parse gave that second's nanoseconds plus the fraction
            System.arraycopy(b, start, prefix, 0, PREFIX);
            seconds = Math.floorDiv(nanos - fraction, NANOS_PER_SECOND);
            have = true;
        }
    }

    /** Whether {@code b[p, p + 19)} has the punctuation of {@code YYYY-MM-DDThh:mm:ss} and digits elsewhere. */
    private static boolean usualPrefix(byte[] b, int p) {
        for (int k = 0; k < PREFIX; k++) {
            byte c = b[p + k];
            boolean ok = switch (k) {
                case 4, 7 -> c == '-';
                case 10 -> c == 'T' || c == 't' || c == ' ';
                case 13, 16 -> c == ':';
                default -> c >= '0' && c <= '9';
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * The nanoseconds of a time's tail {@code b[p, end)} when it is an optional fraction ({@code .} or
     * {@code ,} and digits, kept to the nanosecond as {@link Timestamps#parseDateTime} keeps them) and
     * then {@code Z} or {@code z} ending the text; -1 for any other tail.
     */
    static long utcFraction(byte[] b, int p, int end) {
        if (end - p < 1 || (b[end - 1] != 'Z' && b[end - 1] != 'z')) {
            return -1;
        }
        int last = end - 1;
        if (p == last) {
            return 0;
        }
        if (b[p] != '.' && b[p] != ',') {
            return -1;
        }
        p++;
        if (p == last) {
            return -1; // a separator without digits
        }
        long nanos = 0;
        int n = 0;
        for (; p < last; p++, n++) {
            int d = b[p] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            if (n < 9) {
                nanos = nanos * 10 + d;
            }
        }
        for (; n < 9; n++) {
            nanos *= 10;
        }
        return nanos;
    }
}
