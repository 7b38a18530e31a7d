package dev.logpipe.filesink;

/**
 * Another live writer (in this process or another) holds the journal directory. Two writers on one
 * Chronicle queue would interleave their records, so the second one is refused.
 *
 * <p>Threading: immutable once thrown.
 */
public final class JournalLockedException extends IllegalStateException {

    public JournalLockedException(String message) {
        super(message);
    }
}
