package dev.logpipe.filesink;

/**
 * The journal writer could not store a record (disk full, directory not writable, I/O error), or
 * could not make it durable (a failed sync). The writer stops accepting records after it: the
 * ingest channel is closed, so producers get {@code Closed} with their record back.
 *
 * <p>Threading: immutable once thrown.
 */
public final class JournalWriteException extends RuntimeException {

    public JournalWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
