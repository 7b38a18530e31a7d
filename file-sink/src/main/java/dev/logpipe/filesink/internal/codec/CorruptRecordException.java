package dev.logpipe.filesink.internal.codec;

/**
 * Thrown when the bytes of a journal excerpt are not a record this code can decode: a torn or
 * overwritten excerpt, or a layout version from a newer logpipe.
 *
 * <p>Threading: immutable once thrown.
 */
public final class CorruptRecordException extends RuntimeException {

    public CorruptRecordException(String message) {
        super(message);
    }

    public CorruptRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
