package dev.logpipe.filesink;

import java.util.Locale;

/**
 * The severity of a log record, from {@link #TRACE} to {@link #FATAL}, with {@link #UNSET} for a
 * record whose sender gave none (logpipe does not invent a level).
 *
 * <p>Order matters: a filter such as "WARN and above" is {@code level.atLeast(WARN)}. {@code UNSET}
 * sorts below everything.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum Level {
    UNSET,
    TRACE,
    DEBUG,
    INFO,
    WARN,
    ERROR,
    FATAL;

    private static final Level[] VALUES = values();

    /** True when this level is {@code other} or more severe. */
    public boolean atLeast(Level other) {
        return compareTo(other) >= 0;
    }

    /**
     * Maps a syslog severity (RFC 5424 section 6.2.1, 0 = emergency … 7 = debug) to a level:
     * 0-2 (emerg, alert, crit) are {@code FATAL}, 3 {@code ERROR}, 4 {@code WARN}, 5-6 (notice,
     * info) {@code INFO}, 7 {@code DEBUG}.
     *
     * @throws IllegalArgumentException if {@code severity} is outside 0..7
     */
    public static Level fromSyslogSeverity(int severity) {
        return switch (severity) {
            case 0, 1, 2 -> FATAL;
            case 3 -> ERROR;
            case 4 -> WARN;
            case 5, 6 -> INFO;
            case 7 -> DEBUG;
            default -> throw new IllegalArgumentException("syslog severity must be 0..7, was " + severity);
        };
    }

    /** The syslog severity this level maps to (the inverse of {@link #fromSyslogSeverity}, notice excluded). */
    public int toSyslogSeverity() {
        return switch (this) {
            case FATAL -> 2;
            case ERROR -> 3;
            case WARN -> 4;
            case INFO, UNSET -> 6;
            case DEBUG, TRACE -> 7;
        };
    }

    /**
     * Parses a level name as senders write it, case-insensitively: the names of this enum and the
     * usual aliases ({@code warning}, {@code err}, {@code crit}, {@code critical}, {@code emerg},
     * {@code alert}, {@code panic}, {@code notice}, {@code information}, {@code dbg}, {@code fine},
     * {@code finest}, {@code severe}), or a syslog severity digit {@code 0}-{@code 7}.
     *
     * @return the level, or {@code null} if the text is not a level this method knows
     */
    public static Level parse(String text) {
        if (text == null) {
            return null;
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.length() == 1 && t.charAt(0) >= '0' && t.charAt(0) <= '7') {
            return fromSyslogSeverity(t.charAt(0) - '0');
        }
        return switch (t) {
            case "trace", "finest", "finer" -> TRACE;
            case "debug", "dbg", "fine", "config" -> DEBUG;
            case "info", "information", "informational", "notice" -> INFO;
            case "warn", "warning" -> WARN;
            case "error", "err", "severe" -> ERROR;
            case "fatal", "crit", "critical", "alert", "emerg", "emergency", "panic" -> FATAL;
            case "unset", "" -> UNSET;
            default -> null;
        };
    }

    /** The level with this ordinal; for codecs. */
    public static Level ofOrdinal(int ordinal) {
        if (ordinal < 0 || ordinal >= VALUES.length) {
            throw new IllegalArgumentException("no level with ordinal " + ordinal);
        }
        return VALUES[ordinal];
    }
}
