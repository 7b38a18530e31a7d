package dev.logpipe.collector;

import dev.logpipe.filesink.LogRecord;

import java.util.Objects;

/**
 * An {@link Emitter#emit} that was not accepted because the pipeline's channel stayed full: on an
 * ordinary thread for longer than the pipeline's {@link LogPipeline.Builder#emitMaxBlock emit
 * maximum block}, or, on a thread that must not block (an event loop, a runtime worker), because
 * the pipeline's bounded set of asynchronous waiters was taken. The record was not stored and is
 * handed back: retry it later, count it, or drop it, as the application decides.
 *
 * <p>Retriable: the journal is working, only behind. Threading: immutable once thrown.
 */
public final class EmitFullException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient LogRecord record;

    public EmitFullException(String message, LogRecord record) {
        super(message, null, false, false); // an expected outcome under load: no stack trace to fill
        this.record = Objects.requireNonNull(record, "record");
    }

    /** The record that was not accepted, as the caller passed it. */
    public LogRecord record() {
        return record;
    }
}
