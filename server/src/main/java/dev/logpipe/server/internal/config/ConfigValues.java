package dev.logpipe.server.internal.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The value parsers the config keys share ({@link ConfigKey}, {@link ForwardKafkaKey}): each takes the
 * text as a user wrote it and returns the value, or throws {@link IllegalArgumentException} with a
 * message that says what is expected.
 *
 * <p>Threading: stateless, thread-safe.
 */
final class ConfigValues {

    private ConfigValues() {
    }

    static Object host(String s) {
        if (s.isEmpty() || s.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("'" + s + "' is not an address; use e.g. 127.0.0.1, 0.0.0.0 or a host name");
        }
        return s;
    }

    static Object word(String s) {
        if (s.isEmpty() || s.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("'" + s + "' must be one word without spaces");
        }
        return s;
    }

    static Object port(String s) {
        int p;
        try {
            p = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a port number; use 1-65535 (or 0 for any free port)");
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " is out of range; use 1-65535 (or 0 for any free port)");
        }
        return p;
    }

    static Object path(String s) {
        if (s.isEmpty()) {
            throw new IllegalArgumentException("a path must not be empty");
        }
        return Path.of(s);
    }

    static Object oneOf(String s, String... allowed) {
        String t = s.toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(t)) {
                return a;
            }
        }
        throw new IllegalArgumentException("'" + s + "' is not one of: " + String.join(", ", allowed));
    }

    /** A whole number from 1 to {@link Integer#MAX_VALUE}; {@code what} names it in the message ("" for none). */
    static Object positiveInt(String s, String what) {
        long v;
        try {
            v = Long.parseLong(s.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a whole number");
        }
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(prefix(what) + "must be between 1 and " + Integer.MAX_VALUE + ", was " + s);
        }
        return (int) v;
    }

    static Object positiveSize(String s) {
        long v = Units.parseSize(s);
        if (v <= 0) {
            throw new IllegalArgumentException("size must be positive, was " + s);
        }
        return v;
    }

    /** A duration above zero; {@code what} names it in the message ("" for none). */
    static Object positiveDuration(String s, String what) {
        Duration d = Units.parseDuration(s);
        if (d.isZero()) {
            throw new IllegalArgumentException(prefix(what) + "must be positive, was " + s);
        }
        return d;
    }

    /**
     * An idle timeout: 0 (never), or at least a second. Below that a connection was closed between two
     * writes of a sender that was not idle at all (a line sent right after was not stored).
     */
    static Object idleTimeout(String s) {
        Duration d = Units.parseDuration(s);
        if (!d.isZero() && d.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("idle timeout " + s.trim() + " is under 1s; use 1s or more, or 0 for never");
        }
        return d;
    }

    private static String prefix(String what) {
        return what.isEmpty() ? "" : what + " ";
    }
}
