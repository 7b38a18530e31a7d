package dev.logpipe.filesink;

/**
 * What the journal writer did, reported when it ends ({@link FileSink#terminated()}).
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param writtenRecords records appended in this run
 * @param writtenBytes encoded bytes appended in this run
 * @param failedRecords records received but not stored because of an error
 * @param lastIndex highest index in the journal when the writer ended, -1 if empty
 * @param durableIndex highest index known durable when the writer ended
 * @param syncs syncs completed
 * @param error the error that stopped the writer, or null if it ended cleanly
 * @param abandonedRecords records received but not stored because {@link FileSink#abandon()} stopped
 *     the writer first
 */
public record WriterReport(long writtenRecords, long writtenBytes, long failedRecords, long lastIndex,
                           long durableIndex, long syncs, Throwable error, long abandonedRecords) {

    /** True when the writer stored everything it received and its final sync succeeded. */
    public boolean clean() {
        return error == null && failedRecords == 0 && abandonedRecords == 0;
    }
}
