package dev.logpipe.filesink;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What producers send to the journal writer through the ingest channel: a record, and optionally a
 * receipt that completes with the record's journal index once the writer has appended it.
 *
 * <p>"Written" means appended to the journal's memory-mapped segment: it survives a crash of this
 * process, not of the machine. For durability chain {@link FileSink#whenDurable(long)} on the index.
 *
 * <p>Threading: thread-safe. The receipt stage completes on a runtime worker thread (one task per
 * writer batch), or exceptionally with {@link JournalWriteException} if the writer could not store
 * the record. Callbacks attached without an executor run on that worker and must not block.
 */
public final class AppendRequest {

    private final LogRecord record;
    private final CompletableFuture<Long> receipt;

    private AppendRequest(LogRecord record, CompletableFuture<Long> receipt) {
        this.record = Objects.requireNonNull(record, "record");
        this.receipt = receipt;
    }

    /** A request without a receipt: the cheapest form, for fire-and-forget producers. */
    public static AppendRequest of(LogRecord record) {
        return new AppendRequest(record, null);
    }

    /** A request whose {@link #written()} stage completes with the record's index once appended. */
    public static AppendRequest withReceipt(LogRecord record) {
        return new AppendRequest(record, new CompletableFuture<>());
    }

    /** The record. */
    public LogRecord record() {
        return record;
    }

    /** True when this request carries a receipt ({@link #withReceipt}). */
    public boolean hasReceipt() {
        return receipt != null;
    }

    /**
     * The receipt: completes with the record's journal index once the writer has appended it.
     *
     * @throws IllegalStateException if this request was made with {@link #of} (no receipt)
     */
    public CompletionStage<Long> written() {
        if (receipt == null) {
            throw new IllegalStateException("this request has no receipt; create it with AppendRequest.withReceipt");
        }
        return receipt.minimalCompletionStage();
    }

    /** This request's weight for a channel bounded in bytes: {@link LogRecord#estimatedBytes()}. */
    public int weight() {
        return record.estimatedBytes();
    }

    /** The receipt future for the writer to complete, or null. */
    CompletableFuture<Long> receipt() {
        return receipt;
    }

    @Override
    public String toString() {
        return "AppendRequest{" + record + (receipt == null ? "" : ", receipt") + '}';
    }
}
