package dev.logpipe.server.internal.config;

/**
 * A config file or a setting is wrong; the message names the file, the line and the key, and says
 * what to write instead. The command line prints it as it is and exits with status 2.
 *
 * <p>Threading: immutable, thread-safe.
 */
public final class ConfigException extends Exception {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
