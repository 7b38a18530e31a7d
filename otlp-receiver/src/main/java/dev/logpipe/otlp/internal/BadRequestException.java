package dev.logpipe.otlp.internal;

/**
 * A request body that cannot be decoded: answered {@code 400} (the client must not retry it), with
 * this message.
 *
 * <p>Threading: immutable.
 */
public final class BadRequestException extends Exception {

    public BadRequestException(String message) {
        super(message, null, false, false);
    }

    public BadRequestException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
