package dev.logpipe.filesink;

/**
 * Whether the journal can store records now, from {@link FileSink#journalState()}.
 *
 * <p>Only {@link #WRITABLE} takes records. {@link #PAUSED} is backpressure, not failure: the writer
 * keeps every record it accepted and resumes by itself when there is space again.
 */
public enum JournalState {
    /** The sink was built but its writer has not opened the journal yet. */
    STARTING,
    /** The writer takes records from the channel and appends them. */
    WRITABLE,
    /**
     * The file system has less free space than the next batch plus the reserve: the writer takes
     * nothing from the channel (producers are slowed down), keeps what it holds, and re-checks on a
     * timer.
     */
    PAUSED,
    /**
     * An I/O error that is not lack of space (or a failed sync) stopped the journal: the channel is
     * closed and what it held is counted as failed.
     */
    FAILED,
    /** The writer has ended (end of its input, or {@link FileSink#abandon()}). */
    STOPPED
}
