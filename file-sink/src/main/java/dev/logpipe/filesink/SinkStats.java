package dev.logpipe.filesink;

/**
 * A snapshot of a {@link FileSink}'s counters: the one place the journal's numbers are read from
 * ({@link SinkListener} carries only per-event observations such as sync durations).
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
 * @param state whether the journal can store records now
 * @param pauses times the writer paused because the file system had too little free space
 * @param pausedNanos time spent paused for lack of space, the current pause included
 * @param abandonedRecords records taken from the channel and not stored because {@link FileSink#abandon()}
 *     stopped the writer (a shutdown that ran out of time); not counted in {@code failedRecords}
 * @param heldRecords records the writer has taken from the channel and not yet appended (while
 *     paused: the batch it keeps)
 * @param durableRecords records covered by a completed sync (each writer batch counts once its last
 *     record is durable)
 * @param errors errors reported to {@link SinkListener#onError}: failed writes and syncs, failed
 *     retention passes or deletions (not pauses for lack of space)
 * @param oversizeRecords records refused alone because, encoded, they were larger than the journal's
 *     {@link JournalSettings#maxRecordBytes()}; the writer went on; not counted in {@code failedRecords}
 */
public record SinkStats(long writtenRecords, long writtenBytes, long batches, long writtenIndex, long durableIndex,
                        long syncs, long syncFailures, long lastSyncNanos, long maxSyncNanos, long totalSyncNanos,
                        long failedRecords, long rolls, long retentionDeletedSegments, long retentionDeletedBytes,
                        long retentionForcedDeletes, Throwable lastError, JournalState state, long pauses,
                        long pausedNanos, long abandonedRecords, long heldRecords, long durableRecords,
                        long errors, long oversizeRecords) {
}
