package dev.logpipe.collector;

/**
 * The wire format a TCP listener expects from its clients.
 *
 * <p>{@link #AUTO} detects the format per connection from its first bytes: {@code {} (after optional
 * whitespace) is JSON, {@code <digits>} or {@code digits SP <} is syslog (LF framing or RFC 6587
 * octet counting), anything else is plain text.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum WireFormat {
    /** Detect per connection from the first bytes. */
    AUTO,
    /** Newline-delimited JSON: one object per line, {@code \n} or {@code \r\n}. */
    JSON,
    /** Syslog RFC 5424 or RFC 3164, LF framing or RFC 6587 octet counting, detected per frame. */
    SYSLOG,
    /** Plain text lines: each line is a record's message. */
    TEXT
}
