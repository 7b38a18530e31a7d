package dev.logpipe.collector.internal.pipeline;

import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.SendResult;
import dev.logpipe.collector.Durability;
import dev.logpipe.collector.ReceiverBatch;
import dev.logpipe.collector.ReceiverContext;
import dev.logpipe.collector.RejectReason;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.JournalWriteException;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.runtime.TaskRuntime;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@link ReceiverContext} of one external receiver: admits a request's records whole or not at
 * all, puts them into the journal channel in order, counts them with the pipeline's counters, and
 * asks for early syncs while durable batches wait.
 *
 * <p>Admission: a batch goes in when the channel's free room covers its weight (for a batch heavier
 * than half the channel: when half the channel is free). The check and the sends are not atomic
 * with other producers: if the channel fills in between, the rest of the batch waits in the channel's
 * queue of senders (async {@code send}, no thread held), in order, counted in flight. That holds at
 * most the batches of the requests in flight, which the receiver bounds.
 *
 * <p>Threading: thread-safe; {@link #offer} returns at once on any thread.
 */
public final class ReceiverIngress implements ReceiverContext {

    /** How long the oldest durable batch waits before it asks for an early sync (as AckQueue does). */
    static final Duration PRESSURE_DELAY = Duration.ofMillis(2);

    private final String protocol;
    private final MpscSender<AppendRequest> sender;
    private final PipelineCounters counters;
    private final long minWeight;
    private final TaskRuntime runtime;
    private final Runnable syncNow;
    /** Durable batches not yet stored; the pressure timer runs while it is above 0. */
    private final AtomicInteger durableWaiting = new AtomicInteger();
    private final AtomicBoolean pressureArmed = new AtomicBoolean();

    /**
     * @param sender    this receiver's own handle; closed by {@link #close()}
     * @param minWeight the least weight the channel gives a record (its bytes / records bound)
     * @param syncNow   asks the journal for a sync now (coalesced); any thread, never blocks
     */
    public ReceiverIngress(String protocol, MpscSender<AppendRequest> sender, PipelineCounters counters,
                           long minWeight, TaskRuntime runtime, Runnable syncNow) {
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.sender = sender;
        this.counters = counters;
        this.minWeight = minWeight;
        this.runtime = runtime;
        this.syncNow = syncNow;
    }

    /** Closes this receiver's sender handle: from now on offers answer {@link Closed}. */
    public void close() {
        sender.close();
    }

    @Override
    public Offer offer(List<LogRecord> records, Durability ackLevel) {
        Objects.requireNonNull(ackLevel, "ackLevel");
        int n = records.size();
        if (n == 0) {
            throw new IllegalArgumentException("offer needs at least one record");
        }
        if (sender.isClosed()) {
            return new Closed();
        }
        long weight = 0;
        for (int i = 0; i < n; i++) {
            weight += Math.max(records.get(i).heapBytes(), minWeight);
        }
        long need = Math.min(weight, sender.maxCapacity() / 2);
        if (sender.capacity() < need) {
            return new Full();
        }
        boolean durable = ackLevel == Durability.DURABLE;
        AppendRequest[] requests = new AppendRequest[n];
        CompletableFuture<?>[] receipts = new CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            LogRecord r = records.get(i);
            if (durable) {
                requests[i] = AppendRequest.withDurableReceipt(r);
                receipts[i] = requests[i].durable();
            } else {
                requests[i] = AppendRequest.withReceipt(r);
                receipts[i] = requests[i].written().toCompletableFuture();
            }
        }
        // Counted before any is sent: a reader of the books sees them received before written.
        for (int i = 0; i < n; i++) {
            counters.recordAccepted(requests[i].record().format());
        }
        counters.pendingRecords.add(n);
        counters.acks.received(protocol);
        counters.acks.acksPending.incrementAndGet();
        Batch batch = new Batch(n, receipts);
        if (durable) {
            durableWaiting.incrementAndGet();
            batch.stored.whenComplete((v, t) -> durableWaiting.decrementAndGet());
            armPressure();
        }
        sendFrom(requests, 0, batch);
        return new Accepted(batch);
    }

    /** Sends {@code requests[from..]} in order: trySend while there is room, then one async send at a time. */
    private void sendFrom(AppendRequest[] requests, int from, Batch batch) {
        for (int i = from; i < requests.length; i++) {
            SendResult<AppendRequest> r = sender.trySend(requests[i]);
            if (r instanceof SendResult.Sent<AppendRequest>) {
                counters.pendingRecords.decrement();
                continue;
            }
            if (r instanceof SendResult.Full<AppendRequest>) {
                int next = i;
                // Completes on the thread that made room (the writer): only cheap trySends follow.
                sender.send(requests[i]).whenComplete((res, err) -> {
                    if (err == null && res instanceof SendResult.Sent<AppendRequest>) {
                        counters.pendingRecords.decrement();
                        sendFrom(requests, next + 1, batch);
                    } else {
                        lose(requests.length - next, batch);
                    }
                });
                return;
            }
            lose(requests.length - i, batch);
            return;
        }
    }

    /** The channel closed under a batch: its unsent records are lost, and the batch fails. */
    private void lose(int unsent, Batch batch) {
        counters.lost(unsent);
        counters.pendingRecords.add(-unsent);
        batch.stored.completeExceptionally(new JournalWriteException(
                "the pipeline stopped taking records before " + unsent + " record(s) of the request were stored", null));
    }

    private void armPressure() {
        if (durableWaiting.get() > 0 && pressureArmed.compareAndSet(false, true)) {
            try {
                runtime.spawnAfter(PRESSURE_DELAY, this::pressureCheck);
            } catch (RuntimeException e) {
                pressureArmed.set(false); // the runtime is shutting down: the final sync covers the rest
            }
        }
    }

    private void pressureCheck() {
        pressureArmed.set(false);
        if (durableWaiting.get() > 0) {
            counters.acks.pressureSyncRequests.increment();
            syncNow.run();
            armPressure();
        }
    }

    @Override
    public void receivedBytes(SourceFormat format, long bytes) {
        counters.frameDecoded(format, (int) Math.min(Integer.MAX_VALUE, bytes));
    }

    @Override
    public void rejected(RejectReason reason, long records) {
        Objects.requireNonNull(reason, "reason");
        for (long i = 0; i < records; i++) {
            counters.frameRejected(reason);
        }
    }

    @Override
    public void protocolError(String reason) {
        counters.acks.error(Objects.requireNonNull(reason, "reason"));
    }

    @Override
    public String toString() {
        return "ReceiverIngress[" + protocol + "]";
    }

    /** One admitted request's records. */
    private final class Batch implements ReceiverBatch {
        private final int size;
        private final long startNanos = System.nanoTime();
        private final CompletableFuture<Void> stored = new CompletableFuture<>();
        private final AtomicBoolean answered = new AtomicBoolean();

        Batch(int size, CompletableFuture<?>[] receipts) {
            this.size = size;
            // One callback per batch, on the last receipt: a batch's records are sent in order, and
            // the writer completes receipts in index order. Each is still checked for failure.
            receipts[receipts.length - 1].whenComplete((v, t) -> settle(receipts));
        }

        private void settle(CompletableFuture<?>[] receipts) {
            for (CompletableFuture<?> f : receipts) {
                if (!f.isDone()) {
                    // Not expected (order); wait for every one rather than answer early.
                    CompletableFuture.allOf(receipts).whenComplete((v, t) -> settle(receipts));
                    return;
                }
                if (f.isCompletedExceptionally()) {
                    try {
                        f.join();
                    } catch (RuntimeException e) {
                        stored.completeExceptionally(e.getCause() != null ? e.getCause() : e);
                        return;
                    }
                }
            }
            stored.complete(null);
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public CompletionStage<Void> stored() {
            return stored.minimalCompletionStage();
        }

        @Override
        public void acknowledged() {
            if (answered.compareAndSet(false, true)) {
                counters.acks.acksPending.decrementAndGet();
                counters.acks.ackSent(System.nanoTime() - startNanos);
            }
        }

        @Override
        public void failed() {
            if (answered.compareAndSet(false, true)) {
                counters.acks.acksPending.decrementAndGet();
                counters.acks.nacksSent.increment();
            }
        }

        @Override
        public void abandoned() {
            if (answered.compareAndSet(false, true)) {
                counters.acks.acksPending.decrementAndGet();
            }
        }
    }
}
