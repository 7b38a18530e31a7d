package dev.logpipe.collector;

/**
 * The wire format a TCP listener expects from its clients.
 *
 * <p>{@link #AUTO} detects the format of each newline-framed frame: {@code {} (after optional
 * spaces) is JSON, {@code <digits>} is syslog, anything else is plain text. A connection whose first
 * bytes are {@code digits SP <} is syslog with RFC 6587 octet counting for its whole life.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum WireFormat {
    /** Detect per line (an octet-counted connection is syslog). */
    AUTO,
    /** Newline-delimited JSON: one object per line, {@code \n} or {@code \r\n}. */
    JSON,
    /** Syslog RFC 5424 or RFC 3164, LF framing or RFC 6587 octet counting, detected per frame. */
    SYSLOG,
    /** Plain text lines: each line is a record's message. */
    TEXT
}
