package dev.logpipe.server.internal.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How long the journal keeps closed segments: by age, by total bytes, both, or forever. Written as
 * {@code 7d}, {@code 10GB} or {@code 7d,10GB} (a duration is an age, a size is a byte limit).
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param maxAge delete closed segments older than this; {@code null} for no age limit
 * @param maxBytes delete the oldest closed segments while the journal is larger; {@code null} for no limit
 */
public record Retention(Duration maxAge, Long maxBytes) {

    /** Keep everything. */
    public static final Retention FOREVER = new Retention(null, null);

    public Retention {
        if (maxAge != null && (maxAge.isNegative() || maxAge.isZero())) {
            throw new IllegalArgumentException("retention age must be positive");
        }
        if (maxBytes != null && maxBytes <= 0) {
            throw new IllegalArgumentException("retention size must be positive");
        }
    }

    /**
     * Parses retention items; each may itself hold several, comma-separated. {@code forever} (or
     * {@code none}) alone means no limit. Whether an item is an age or a size is told by its unit
     * alone ({@link Units#kindOf}); a bare number or an ambiguous unit such as {@code 10M} is
     * refused, never guessed.
     *
     * @throws IllegalArgumentException with a message that says what to write
     */
    public static Retention parse(List<String> items) {
        Duration age = null;
        Long bytes = null;
        String ageText = null;
        String bytesText = null;
        List<String> parts = new ArrayList<>();
        for (String item : items) {
            for (String p : item.split(",")) {
                if (!p.isBlank()) {
                    parts.add(p.trim());
                }
            }
        }
        if (parts.isEmpty()) {
            // an empty value (--retention "$UNSET") used to mean forever, even over a config file's limits
            throw new IllegalArgumentException("retention is empty; use an age such as 7d, a size such as 10GB, both"
                    + " (7d,10GB), or forever");
        }
        for (String p : parts) {
            if (p.equalsIgnoreCase("forever") || p.equalsIgnoreCase("none")) {
                if (parts.size() > 1) {
                    throw new IllegalArgumentException("retention 'forever' cannot be combined with limits");
                }
                return FOREVER;
            }
            if (!Character.isDigit(p.charAt(0))) {
                throw new IllegalArgumentException("'" + p + "' is not a retention; use an age such as 7d, a size such as 10GB, or both: 7d,10GB");
            }
            if (Units.kindOf(p) == Units.Kind.DURATION) {
                if (age != null) {
                    throw new IllegalArgumentException("retention has two ages (" + ageText + ", " + p + "); give one");
                }
                age = Units.parseDuration(p);
                ageText = p;
                continue;
            }
            if (bytes != null) {
                throw new IllegalArgumentException("retention has two sizes (" + bytesText + ", " + p + "); give one");
            }
            bytes = Units.parseSize(p);
            bytesText = p;
        }
        return new Retention(age, bytes);
    }

    @Override
    public String toString() {
        if (maxAge == null && maxBytes == null) {
            return "forever";
        }
        StringBuilder sb = new StringBuilder();
        if (maxAge != null) {
            sb.append(Units.formatDuration(maxAge));
        }
        if (maxBytes != null) {
            sb.append(sb.length() > 0 ? "," : "").append(Units.formatBytes(maxBytes));
        }
        return sb.toString();
    }
}
