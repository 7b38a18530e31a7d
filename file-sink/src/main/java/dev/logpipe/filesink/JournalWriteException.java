package dev.logpipe.filesink;

/**
 * The journal writer could not store a record (directory not writable or gone, read-only file
 * system, I/O error), or could not make it durable (a failed sync). The writer stops accepting
 * records after it: the ingest channel is closed, so producers get {@code Closed} with their record
 * back. Lack of free space is not such an error: the writer pauses until there is room
 * ({@link JournalState#PAUSED}). Receipts of records dropped by {@link FileSink#abandon()} also
 * complete with this exception.
 *
 * <p>Threading: immutable once thrown.
 */
public final class JournalWriteException extends RuntimeException {

    public JournalWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
