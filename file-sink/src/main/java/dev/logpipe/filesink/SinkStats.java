package dev.logpipe.filesink;

/**
 * A snapshot of a {@link FileSink}'s counters.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param writtenRecords records appended
 * @param writtenBytes encoded bytes appended (record bodies, without Chronicle's 4-byte headers)
 * @param batches writer batches
 * @param writtenIndex highest index appended, -1 if none
 * @param durableIndex highest index durable, -1 if none
 * @param syncs completed syncs
 * @param syncFailures failed syncs
 * @param lastSyncNanos duration of the last sync
 * @param maxSyncNanos longest sync
 * @param totalSyncNanos sum of sync durations
 * @param failedRecords records taken from the channel that could not be stored (after a disk error)
 * @param rolls segments started
 * @param retentionDeletedSegments segments deleted by retention
 * @param retentionDeletedBytes bytes deleted by retention
 * @param retentionForcedDeletes deletions of segments a named reader had not finished, forced by the hard limit
 * @param lastError the last error, or null
 */
public record SinkStats(long writtenRecords, long writtenBytes, long batches, long writtenIndex, long durableIndex,
                        long syncs, long syncFailures, long lastSyncNanos, long maxSyncNanos, long totalSyncNanos,
                        long failedRecords, long rolls, long retentionDeletedSegments, long retentionDeletedBytes,
                        long retentionForcedDeletes, Throwable lastError) {
}
