package dev.logpipe.collector;

import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * {@link Emitter#blockingEmit} was interrupted after the pipeline took the record, while it waited for
 * the record to be written or durable: the record is being stored (unless the journal fails), so it
 * must not be emitted again. {@link #receipt()} completes when it is stored, as {@link Emitter#emit}'s
 * stage does. A plain {@link InterruptedException} from {@code blockingEmit} means the opposite: the
 * interrupt came before the record was taken, and it was not stored.
 *
 * <p>Threading: immutable once thrown.
 */
public final class ReceiptInterruptedException extends InterruptedException {

    private static final long serialVersionUID = 1L;

    private final transient CompletionStage<Long> receipt;

    public ReceiptInterruptedException(CompletionStage<Long> receipt) {
        super("interrupted while waiting for the record to be stored; it was taken and is being stored: do not emit"
                + " it again (its receipt completes when it is)");
        this.receipt = Objects.requireNonNull(receipt, "receipt");
    }

    /** The record's receipt: its journal index once it is written or durable, as asked. */
    public CompletionStage<Long> receipt() {
        return receipt;
    }
}
