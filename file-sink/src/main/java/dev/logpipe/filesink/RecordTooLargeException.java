package dev.logpipe.filesink;

/**
 * A record was larger, encoded, than the journal's {@link JournalSettings#maxRecordBytes()}: the
 * writer refused it alone and went on with the records after it. Its receipt completes with this
 * exception; it is counted in {@link SinkStats#oversizeRecords()}.
 *
 * <p>Threading: immutable once thrown.
 */
public final class RecordTooLargeException extends RuntimeException {

    private final long recordBytes;
    private final long maxRecordBytes;

    public RecordTooLargeException(long recordBytes, long maxRecordBytes) {
        super("record of " + recordBytes + " bytes encoded is larger than the journal's max record size of "
                + maxRecordBytes + " bytes; it was not stored");
        this.recordBytes = recordBytes;
        this.maxRecordBytes = maxRecordBytes;
    }

    /** The record's encoded size. */
    public long recordBytes() {
        return recordBytes;
    }

    /** The journal's limit. */
    public long maxRecordBytes() {
        return maxRecordBytes;
    }
}
