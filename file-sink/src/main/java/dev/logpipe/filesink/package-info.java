/**
 * The journal: the record model ({@link dev.logpipe.filesink.LogRecord}), the single writer that
 * appends records to a Chronicle Queue on local disk ({@link dev.logpipe.filesink.FileSink}), its
 * sync policy and durable watermark, rotation, retention, and the readers
 * ({@link dev.logpipe.filesink.JournalReader}, {@link dev.logpipe.filesink.JournalVerifier}).
 * No Chronicle type appears in this package's signatures.
 */
package dev.logpipe.filesink;
