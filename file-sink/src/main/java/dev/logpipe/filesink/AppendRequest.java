package dev.logpipe.filesink;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What producers send to the journal writer through the ingest channel: a record, and optionally a
 * receipt that completes with the record's journal index once the writer has appended it
 * ({@link #withReceipt}: <em>written</em>) or once a sync covering it has completed
 * ({@link #withDurableReceipt}: <em>durable</em>).
 *
 * <p>"Written" means appended to the journal's memory-mapped segment: it survives a crash of this
 * process, not of the machine. "Durable" survives a crash of the machine. A durable receipt costs
 * one future per record and no more: the writer hands a batch's receipts to the durability waiters
 * at once, and a sync completes all those it covers in one task.
 *
 * <p>Threading: thread-safe. The receipt stage completes on a runtime worker thread (one task per
 * writer batch or per sync), or exceptionally with {@link JournalWriteException} if the writer could
 * not store the record (or stopped before it was durable). Callbacks attached without an executor
 * run on that worker and must not block.
 */
public final class AppendRequest {

    /** The record, or null when it came {@link #encoded}. */
    private final LogRecord record;
    private final EncodedRecord encoded;
    private final CompletableFuture<Long> receipt;
    private final boolean receiptWhenDurable;

    private AppendRequest(LogRecord record, CompletableFuture<Long> receipt, boolean receiptWhenDurable) {
        this.record = Objects.requireNonNull(record, "record");
        this.encoded = null;
        this.receipt = receipt;
        this.receiptWhenDurable = receiptWhenDurable;
    }

    private AppendRequest(EncodedRecord encoded, CompletableFuture<Long> receipt, boolean receiptWhenDurable) {
        this.record = null;
        this.encoded = Objects.requireNonNull(encoded, "encoded");
        this.receipt = receipt;
        this.receiptWhenDurable = receiptWhenDurable;
    }

    /** A request without a receipt: the cheapest form, for fire-and-forget producers. */
    public static AppendRequest of(LogRecord record) {
        return new AppendRequest(record, null, false);
    }

    /** A request without a receipt for a record already in the journal's layout (a receiver's fast path). */
    public static AppendRequest of(EncodedRecord record) {
        return new AppendRequest(record, null, false);
    }

    /** As {@link #withReceipt(LogRecord)}, for a record already in the journal's layout. */
    public static AppendRequest withReceipt(EncodedRecord record) {
        return new AppendRequest(record, new CompletableFuture<>(), false);
    }

    /** As {@link #withDurableReceipt(LogRecord)}, for a record already in the journal's layout. */
    public static AppendRequest withDurableReceipt(EncodedRecord record) {
        return new AppendRequest(record, new CompletableFuture<>(), true);
    }

    /** A request whose {@link #written()} stage completes with the record's index once appended. */
    public static AppendRequest withReceipt(LogRecord record) {
        return new AppendRequest(record, new CompletableFuture<>(), false);
    }

    /** A request whose {@link #durable()} stage completes with the record's index once it is durable. */
    public static AppendRequest withDurableReceipt(LogRecord record) {
        return new AppendRequest(record, new CompletableFuture<>(), true);
    }

    /** The record; for one that came {@linkplain #of(EncodedRecord) encoded}, decoded from its bytes (not cheap). */
    public LogRecord record() {
        return record != null ? record : encoded.decode();
    }

    /** The wire format the record arrived in (without decoding an encoded one). */
    public SourceFormat format() {
        return record != null ? record.format() : encoded.format();
    }

    /** When the record was received, nanoseconds since the epoch (without decoding an encoded one). */
    public long receiveTimeNanos() {
        return record != null ? record.receiveTimeNanos() : encoded.receiveTimeNanos();
    }

    /** The record's size in the journal, about ({@link LogRecord#estimatedBytes()}). */
    public int estimatedBytes() {
        return record != null ? record.estimatedBytes() : encoded.estimatedBytes();
    }

    /** True when this request carries a receipt ({@link #withReceipt} or {@link #withDurableReceipt}). */
    public boolean hasReceipt() {
        return receipt != null;
    }

    /** True when the receipt completes at durable ({@link #withDurableReceipt}), false at written or without one. */
    public boolean receiptWhenDurable() {
        return receiptWhenDurable;
    }

    /**
     * The receipt: completes with the record's journal index once the writer has appended it.
     *
     * @throws IllegalStateException if this request was made with {@link #of} (no receipt)
     */
    public CompletionStage<Long> written() {
        if (receipt == null || receiptWhenDurable) {
            throw new IllegalStateException("this request has no written receipt; create it with AppendRequest.withReceipt");
        }
        return receipt.minimalCompletionStage();
    }

    /**
     * The durable receipt: completes with the record's journal index once a sync covering it has
     * completed. The stage is the receipt itself, not a copy: completing it by hand changes only
     * what its holders see, never the journal.
     *
     * @throws IllegalStateException if this request was not made with {@link #withDurableReceipt}
     */
    public CompletableFuture<Long> durable() {
        if (!receiptWhenDurable) {
            throw new IllegalStateException("this request has no durable receipt; create it with AppendRequest.withDurableReceipt");
        }
        return receipt;
    }

    /** This request's weight for a channel bounded in bytes: {@link LogRecord#heapBytes()}, so the bound is one on heap. */
    public int weight() {
        return record != null ? record.heapBytes() : encoded.heapBytes();
    }

    /** The record's bytes for the writer when it came encoded, else null. */
    byte[] encodedBody() {
        return encoded == null ? null : encoded.body();
    }

    /** The receipt future for the writer to complete, or null. */
    CompletableFuture<Long> receipt() {
        return receipt;
    }

    @Override
    public String toString() {
        return "AppendRequest{" + (record != null ? record : encoded) + (receipt == null ? "" : receiptWhenDurable ? ", durable receipt" : ", receipt") + '}';
    }
}
