package dev.logpipe.collector;

import java.util.Locale;

/**
 * Why records accepted into the pipeline were never written: the key of
 * {@link PipelineStats#lostByReason()}. Also why the channel is closed to connections, which decides
 * how the records a connection still holds are counted.
 *
 * <p>{@link #label()} is the stable lowercase name that metrics ({@code reason="drain_timeout"}) and
 * {@code /stats} use; it never changes for an existing reason.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum LostReason {
    /** The journal failed: an I/O error that is not lack of space, or a failed sync. */
    JOURNAL_FAILURE,
    /** A shutdown ran out of its drain timeout. */
    DRAIN_TIMEOUT,
    /**
     * The record, encoded, was larger than the journal's max record size
     * ({@code JournalSettings.maxRecordBytes}): refused alone, the records around it were stored.
     */
    RECORD_TOO_LARGE;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The stable lowercase name used in metrics and {@code /stats}: {@code journal_failure}, {@code drain_timeout},
     * {@code record_too_large}. */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
