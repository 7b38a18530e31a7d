package dev.logpipe.collector;

/**
 * What a TCP listener does with a frame it cannot parse in its format (invalid JSON, a broken syslog
 * header, binary garbage, a lying octet count). Either way the frame is counted by reason.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum MalformedPolicy {
    /**
     * The default: store a record whose message is the raw frame text (invalid UTF-8 replaced by
     * U+FFFD), flagged {@code MALFORMED}, with the field {@code logpipe.error} set to the reason.
     */
    STORE_RAW,
    /** Do not store the frame; it is only counted. */
    DROP
}
