package dev.logpipe.filesink;

/**
 * How a record reached logpipe: which wire format it was decoded from, or the embedded API.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum SourceFormat {
    /** Newline-delimited JSON over TCP. */
    JSON,
    /** Syslog, RFC 5424. */
    SYSLOG_5424,
    /** Syslog, RFC 3164 (BSD). */
    SYSLOG_3164,
    /** A plain text line. */
    TEXT,
    /** Emitted in-process through the embedded client API. */
    EMBEDDED,
    /** The Fluent Forward protocol (Fluent Bit, fluentd, Docker's fluentd driver). Appended: ordinals are on disk. */
    FLUENT,
    /** OpenTelemetry's OTLP/HTTP logs ({@code POST /v1/logs}, protobuf or JSON). Appended: ordinals are on disk. */
    OTLP;

    private static final SourceFormat[] VALUES = values();

    /** The format with this ordinal; for codecs. */
    public static SourceFormat ofOrdinal(int ordinal) {
        if (ordinal < 0 || ordinal >= VALUES.length) {
            throw new IllegalArgumentException("no source format with ordinal " + ordinal);
        }
        return VALUES[ordinal];
    }
}
