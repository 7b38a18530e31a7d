package dev.logpipe.forward.kafka;

/**
 * A forwarder could not start or had to stop for good: its message says what happened and what to
 * do (e.g. {@code cannot reach Kafka at 127.0.0.1:9092 within 30s; check --bootstrap-servers and
 * that the brokers are up}), ready to be shown to a user after a command's prefix.
 *
 * <p>Threading: immutable, thread-safe.
 */
public final class ForwarderException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ForwarderException(String message) {
        super(message);
    }

    public ForwarderException(String message, Throwable cause) {
        super(message, cause);
    }
}
