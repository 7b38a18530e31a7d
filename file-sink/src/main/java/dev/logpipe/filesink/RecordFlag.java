package dev.logpipe.filesink;

/**
 * A mark on a record that says it is not what its sender meant to send, so that readers can tell.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum RecordFlag {
    /** The frame could not be parsed in its format; the record holds the raw frame as its message. */
    MALFORMED,
    /** The frame was longer than the listener's maximum and was cut. */
    TRUNCATED,
    /** The frame was not valid UTF-8; invalid bytes were replaced with U+FFFD. */
    INVALID_UTF8;

    /** This flag's bit in a flag mask. */
    public int bit() {
        return 1 << ordinal();
    }
}
