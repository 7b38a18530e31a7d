package dev.logpipe.collector;

/**
 * What a TCP listener speaks.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum ListenerProtocol {
    /** Unacknowledged streams of frames: NDJSON, syslog or text lines (see {@link WireFormat}). */
    STREAM,
    /**
     * RELP, rsyslog's reliable transport ({@code omrelp}): each {@code syslog} frame is answered
     * {@code 200 OK} once its record has reached the listener's {@link Durability ack level}.
     */
    RELP,
    /**
     * The Fluent Forward protocol v1 (Fluent Bit, fluentd, Docker's fluentd driver): a message whose
     * options carry {@code chunk} is answered {@code {"ack": chunk}} once all its records have
     * reached the listener's {@link Durability ack level}.
     */
    FLUENT
}
