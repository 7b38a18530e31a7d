package dev.logpipe.collector.internal.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints the units people type on a command line or in a config file: durations such as
 * {@code 100ms}, {@code 10s}, {@code 5m}, {@code 7d}, and sizes such as {@code 1MiB}, {@code 10GB},
 * {@code 512}.
 *
 * <p>Sizes: {@code KB/MB/GB/TB} are powers of 1000, {@code KiB/MiB/GiB/TiB} powers of 1024 (as
 * IEC and SI say); a bare number or {@code B} is bytes; case does not matter. A lone {@code M} is
 * refused on purpose: in {@code --retention 10m} it would be ambiguous with minutes.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class Units {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|µs|ms|s|m|h|d|w)");
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z]*)");

    private Units() {
    }

    /**
     * Parses a duration: a number and a unit ({@code ns, us, ms, s, m, h, d, w}), or several
     * joined ({@code 1h30m}). A bare {@code 0} is zero.
     *
     * @throws IllegalArgumentException with a message that shows the expected form
     */
    public static Duration parseDuration(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION.matcher(t);
        Duration total = Duration.ZERO;
        int at = 0;
        while (at < t.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("'" + text + "' is not a duration; use e.g. 100ms, 10s, 5m, 2h, 7d");
            }
            double n = Double.parseDouble(m.group(1));
            long nanosPerUnit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                case "d" -> 86_400_000_000_000L;
                default -> 7 * 86_400_000_000_000L; // w
            };
            double nanos = n * nanosPerUnit;
            if (nanos > Long.MAX_VALUE / 2.0) {
                throw new IllegalArgumentException("'" + text + "' is too long a duration");
            }
            total = total.plusNanos(Math.round(nanos));
            at = m.end();
        }
        if (at == 0) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; use e.g. 100ms, 10s, 5m, 2h, 7d");
        }
        return total;
    }

    /**
     * Parses a size in bytes: a number and an optional unit ({@code B, KB, MB, GB, TB, KiB, MiB,
     * GiB, TiB}).
     *
     * @throws IllegalArgumentException with a message that shows the expected form
     */
    public static long parseSize(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIZE.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; use e.g. 512KiB, 1MiB, 10GB");
        }
        double n = Double.parseDouble(m.group(1));
        long unit = switch (m.group(2)) {
            case "", "b" -> 1L;
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            case "kib" -> 1L << 10;
            case "mib" -> 1L << 20;
            case "gib" -> 1L << 30;
            case "tib" -> 1L << 40;
            default -> throw new IllegalArgumentException(
                    "'" + text + "' has an unknown size unit '" + m.group(2) + "'; use B, KB, MB, GB, KiB, MiB or GiB");
        };
        double bytes = n * unit;
        if (bytes >= Long.MAX_VALUE) {
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
        return Math.round(bytes);
    }

    /** A duration the way a person writes it: {@code 100ms}, {@code 10s}, {@code 5m}, {@code 7d}, {@code 1h30m}. */
    public static String formatDuration(Duration d) {
        long nanos = d.toNanos();
        if (nanos == 0) {
            return "0s";
        }
        if (nanos % 1_000_000L != 0) {
            return nanos % 1_000L == 0 ? nanos / 1_000L + "us" : nanos + "ns";
        }
        long ms = nanos / 1_000_000L;
        if (ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        StringBuilder sb = new StringBuilder();
        long[] units = {86_400, 3_600, 60, 1};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (s >= units[i]) {
                sb.append(s / units[i]).append(names[i]);
                s %= units[i];
            }
        }
        return sb.toString();
    }

    /** A byte count the way a person reads it, with binary units: {@code 512B}, {@code 1MiB}, {@code 1.5GiB}. */
    public static String formatBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        String[] names = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int i = -1;
        while (v >= 1024 && i < names.length - 1) {
            v /= 1024;
            i++;
        }
        if (v == Math.rint(v)) {
            return (long) v + names[i];
        }
        return String.format(Locale.ROOT, "%.1f%s", v, names[i]);
    }
}
