package dev.logpipe.server;

import dev.logpipe.server.internal.config.Units;
import java.time.Duration;

/**
 * Parses durations given on the command line, turning a bad value into a usage error that names
 * the flag.
 *
 * <p>Threading: stateless, thread-safe.
 */
final class Durations {

    private Durations() {
    }

    static Duration parse(String text, String flag) {
        try {
            return Units.parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(flag + ": " + e.getMessage());
        }
    }
}
