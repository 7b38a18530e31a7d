package dev.logpipe.server.internal.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints the units people type on a command line or in a config file: durations such as
 * {@code 100ms}, {@code 10s}, {@code 5m}, {@code 7d}, {@code 1h30m}, and sizes such as
 * {@code 1MiB}, {@code 10GB}, {@code 512}.
 *
 * <p>Units are exact and case-sensitive, so that a size can never be read as a duration or the
 * other way round: durations take {@code ns us ms s m h d w} ({@code m} is minutes), sizes take
 * {@code B KB MB GB TB} (powers of 1000) and {@code KiB MiB GiB TiB} (powers of 1024), and a bare
 * number is bytes. Anything else is refused with a message that says what to write: a lone
 * {@code M}, {@code K}, {@code G} or {@code T} (is {@code 10M} ten minutes or ten megabytes?), a
 * size unit in another case ({@code 10mb}), a duration unit in capitals ({@code 5S}).
 *
 * <p>Numbers may have a fraction ({@code 1.5s}, {@code 1.5KiB}); they are computed exactly
 * (never through {@code double}) and must come to a whole number of nanoseconds or bytes.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class Units {

    /** What a value with a unit stands for. */
    public enum Kind { DURATION, SIZE }

    private static final Map<String, Long> DURATION_UNITS = new LinkedHashMap<>();
    private static final Map<String, Long> SIZE_UNITS = new LinkedHashMap<>();

    static {
        DURATION_UNITS.put("ns", 1L);
        DURATION_UNITS.put("us", 1_000L);
        DURATION_UNITS.put("ms", 1_000_000L);
        DURATION_UNITS.put("s", 1_000_000_000L);
        DURATION_UNITS.put("m", 60_000_000_000L);
        DURATION_UNITS.put("h", 3_600_000_000_000L);
        DURATION_UNITS.put("d", 86_400_000_000_000L);
        DURATION_UNITS.put("w", 7 * 86_400_000_000_000L);
        SIZE_UNITS.put("B", 1L);
        SIZE_UNITS.put("KB", 1_000L);
        SIZE_UNITS.put("MB", 1_000_000L);
        SIZE_UNITS.put("GB", 1_000_000_000L);
        SIZE_UNITS.put("TB", 1_000_000_000_000L);
        SIZE_UNITS.put("KiB", 1L << 10);
        SIZE_UNITS.put("MiB", 1L << 20);
        SIZE_UNITS.put("GiB", 1L << 30);
        SIZE_UNITS.put("TiB", 1L << 40);
    }

    /** One number and the letters after it; a duration is one or more of these ({@code 1h30m}). */
    private static final Pattern TERM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([^\\d\\s.]*)");
    private static final String DURATION_EXAMPLES = "use e.g. 100ms, 10s, 5m, 2h, 7d";
    private static final String SIZE_EXAMPLES = "use e.g. 512KiB, 1MiB, 10GB";
    private static final BigInteger MAX_LONG = BigInteger.valueOf(Long.MAX_VALUE);

    private Units() {
    }

    /**
     * Parses a duration: a number and a unit ({@code ns, us, ms, s, m, h, d, w}), or several
     * joined ({@code 1h30m}). A bare {@code 0} is zero.
     *
     * @throws IllegalArgumentException with a message that says what to write
     */
    public static Duration parseDuration(String text) {
        String t = text == null ? "" : text.trim();
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = TERM.matcher(t);
        BigInteger nanos = BigInteger.ZERO;
        int at = 0;
        while (at < t.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("'" + text + "' is not a duration; " + DURATION_EXAMPLES);
            }
            String unit = m.group(2);
            Long perUnit = DURATION_UNITS.get(unit);
            if (perUnit == null) {
                throw new IllegalArgumentException(unit.isEmpty()
                        ? "'" + text + (m.end() == t.length() ? "' has no unit; " : "' is not a duration; ") + DURATION_EXAMPLES
                        : durationUnitProblem(text, m.group(1), unit));
            }
            nanos = nanos.add(exact(m.group(1), perUnit, text, "nanosecond"));
            at = m.end();
        }
        if (at == 0) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; " + DURATION_EXAMPLES);
        }
        if (nanos.compareTo(MAX_LONG) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration; the longest is about 292 years");
        }
        return Duration.ofNanos(nanos.longValue());
    }

    /**
     * Parses a size in bytes: a number and an optional unit ({@code B, KB, MB, GB, TB, KiB, MiB,
     * GiB, TiB}).
     *
     * @throws IllegalArgumentException with a message that says what to write
     */
    public static long parseSize(String text) {
        String t = text == null ? "" : text.trim();
        Matcher m = TERM.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; " + SIZE_EXAMPLES);
        }
        String unit = m.group(2);
        Long perUnit = unit.isEmpty() ? Long.valueOf(1L) : SIZE_UNITS.get(unit);
        if (perUnit == null) {
            throw new IllegalArgumentException(sizeUnitProblem(text, m.group(1), unit));
        }
        BigInteger bytes = exact(m.group(1), perUnit, text, "byte");
        if (bytes.compareTo(MAX_LONG) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
        return bytes.longValue();
    }

    /**
     * Which kind of value {@code text} is, by its unit alone, or an exception that says why it
     * cannot tell. For settings that take either (retention): it never guesses, so a bare number
     * and an ambiguous unit ({@code 10M}) are refused rather than read as one or the other.
     *
     * @throws IllegalArgumentException with a message that says what to write
     */
    public static Kind kindOf(String text) {
        String t = text == null ? "" : text.trim();
        Matcher m = TERM.matcher(t);
        String lastUnit = null;
        int at = 0;
        while (at < t.length() && m.find(at) && m.start() == at) {
            lastUnit = m.group(2);
            at = m.end();
        }
        if (lastUnit == null || at != t.length()) {
            throw new IllegalArgumentException("'" + text + "' is neither a duration nor a size; use e.g. 7d or 10GB");
        }
        if (DURATION_UNITS.containsKey(lastUnit)) {
            return Kind.DURATION;
        }
        if (SIZE_UNITS.containsKey(lastUnit)) {
            return Kind.SIZE;
        }
        String n = t.substring(0, t.length() - lastUnit.length()).trim();
        if (lastUnit.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' has no unit; write " + n + "d (or another duration unit) for an age, "
                    + n + "B, " + n + "GB or " + n + "GiB for a size");
        }
        if (isLoneSizeLetter(lastUnit)) {
            String u = lastUnit.toUpperCase(Locale.ROOT);
            throw new IllegalArgumentException("'" + text + "' is ambiguous; write "
                    + (u.equals("M") ? n + "m for minutes, or " : "")
                    + n + u + "B or " + n + u + "iB for a size");
        }
        throw new IllegalArgumentException(looksLikeSize(lastUnit)
                ? sizeUnitProblem(text, n, lastUnit)
                : durationUnitProblem(text, n, lastUnit));
    }

    private static BigInteger exact(String number, long perUnit, String text, String what) {
        BigDecimal v = new BigDecimal(number).multiply(BigDecimal.valueOf(perUnit));
        try {
            return v.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of " + what + "s; use a smaller unit");
        }
    }

    private static boolean isLoneSizeLetter(String unit) {
        return unit.length() == 1 && "KMGTkgt".indexOf(unit.charAt(0)) >= 0;
    }

    private static boolean looksLikeSize(String unit) {
        String u = unit.toLowerCase(Locale.ROOT);
        return u.equals("b") || u.endsWith("b") && u.length() <= 3 && "kmgt".indexOf(u.charAt(0)) >= 0
                || isLoneSizeLetter(unit) && !unit.equals("m");
    }

    /** The size unit written in another case, such as {@code mib} for {@code MiB}; null if none. */
    private static String sizeUnitIgnoringCase(String unit) {
        for (String u : SIZE_UNITS.keySet()) {
            if (u.equalsIgnoreCase(unit)) {
                return u;
            }
        }
        return null;
    }

    private static String durationUnitProblem(String text, String n, String unit) {
        if (unit.equals("M")) {
            return "'" + text + "' is ambiguous: write " + n + "m for minutes (a capital M could mean megabytes)";
        }
        String lower = unit.toLowerCase(Locale.ROOT);
        if (DURATION_UNITS.containsKey(lower)) {
            return "'" + text + "': duration units are lower-case; write " + n + lower;
        }
        if (SIZE_UNITS.containsKey(unit) || sizeUnitIgnoringCase(unit) != null || isLoneSizeLetter(unit)) {
            return "'" + text + "' is a size, not a duration; " + DURATION_EXAMPLES;
        }
        return "'" + text + "' has an unknown duration unit '" + unit + "'; use ns, us, ms, s, m (minutes), h, d or w";
    }

    private static String sizeUnitProblem(String text, String n, String unit) {
        if (unit.equals("m")) {
            return "'" + text + "' is minutes, not a size; write " + n + "MB or " + n + "MiB";
        }
        if (isLoneSizeLetter(unit) || unit.equals("M")) {
            String u = unit.toUpperCase(Locale.ROOT);
            return "'" + text + "' is ambiguous; write " + n + u + "B (powers of 1000) or " + n + u + "iB (powers of 1024)";
        }
        String canonical = sizeUnitIgnoringCase(unit);
        if (canonical != null) {
            return "'" + text + "': size units are case-sensitive; write " + n + canonical;
        }
        if (DURATION_UNITS.containsKey(unit)) {
            return "'" + text + "' is a duration, not a size; " + SIZE_EXAMPLES;
        }
        return "'" + text + "' has an unknown size unit '" + unit + "'; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB";
    }

    /**
     * A measured duration the way a person writes it: {@code 100ms}, {@code 10s}, {@code 5m},
     * {@code 7d}, {@code 1h30m}. For settings, print what the user wrote instead.
     */
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

    /**
     * A measured byte count the way a person reads it, with binary units: {@code 512B},
     * {@code 1MiB}, {@code 1.5GiB}. For settings, print what the user wrote instead.
     */
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
