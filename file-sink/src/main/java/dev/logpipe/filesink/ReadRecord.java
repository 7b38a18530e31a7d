package dev.logpipe.filesink;

/**
 * One record read back from the journal, with the index the writer gave it.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param index the record's journal index (increasing in append order; not contiguous across segments)
 * @param record the record
 */
public record ReadRecord(long index, LogRecord record) {
}
