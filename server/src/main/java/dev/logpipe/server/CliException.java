package dev.logpipe.server;

/**
 * A command failed in a way the user can act on; the message says what happened and what to do,
 * and is printed without a stack trace. Exit status 2 for usage and configuration errors (wrong
 * flag, port in use, data directory locked), 1 for failures (server not reachable, journal damaged).
 *
 * <p>Threading: immutable, thread-safe.
 */
public final class CliException extends RuntimeException {

    /** Exit status for a usage or configuration error. */
    public static final int USAGE = 2;
    /** Exit status for a failure. */
    public static final int FAILURE = 1;

    private final int exitCode;

    private CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** A usage or configuration error: exit status 2. */
    public static CliException usage(String message) {
        return new CliException(USAGE, message, null);
    }

    /** A usage or configuration error with its cause: exit status 2. */
    public static CliException usage(String message, Throwable cause) {
        return new CliException(USAGE, message, cause);
    }

    /** A failure: exit status 1. */
    public static CliException failure(String message) {
        return new CliException(FAILURE, message, null);
    }

    /** A failure with its cause: exit status 1. */
    public static CliException failure(String message, Throwable cause) {
        return new CliException(FAILURE, message, cause);
    }

    public int exitCode() {
        return exitCode;
    }

    /** A usage error for a --data that is not a journal directory: missing, or a file. */
    static CliException noJournalDirectory(java.nio.file.Path data, String hint) {
        return usage("no journal at " + data + (java.nio.file.Files.exists(data) ? " (a file, not a directory)"
                : " (directory not found)") + "; " + hint);
    }
}
