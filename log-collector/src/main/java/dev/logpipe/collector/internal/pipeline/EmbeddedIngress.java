package dev.logpipe.collector.internal.pipeline;

import dev.logpipe.channels.ChannelClosedException;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.channels.SendResult;
import dev.logpipe.collector.Durability;
import dev.logpipe.collector.EmitFullException;
import dev.logpipe.collector.ReceiptInterruptedException;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The in-process way into the journal channel, behind every {@code Emitter}: stamps records (source,
 * format, receive time), sends them, and hands out one receipt future per record that the journal
 * completes at the level asked (written, or durable: completed in bulk by the sync that covers it).
 *
 * <p>Backpressure reaches the caller, and what waits for room is bounded: an {@link #emit} that finds
 * the channel full parks an ordinary calling thread for up to {@code maxBlock} (like Kafka's
 * {@code KafkaProducer.send} and its {@code max.block.ms}); on a {@link NonBlockingThread} it waits
 * without a thread, but at most {@code maxAsyncWaiters} such emits wait at once and the next fails
 * at once with {@link EmitFullException}, handing the record back.
 *
 * <p>Threading: thread-safe; called from any number of application threads. Uses one sender handle
 * for all emitters: the channel serves waiting senders in arrival order and {@code trySend} does not
 * barge past them, so the records of one thread keep their order.
 */
public final class EmbeddedIngress {

    private final MpscSender<AppendRequest> sender;
    private final PipelineCounters counters;
    private final Duration maxBlock;
    private final int maxAsyncWaiters;
    private final AtomicInteger asyncWaiters = new AtomicInteger();
    private final Supplier<Throwable> journalFailure;
    private volatile boolean closed;

    /**
     * @param journalFailure what stopped the journal writer, or null while it has not failed: an emit
     *     refused because the channel closed says that, not that the pipeline was closed
     */
    public EmbeddedIngress(MpscSender<AppendRequest> sender, PipelineCounters counters, Duration maxBlock,
                           int maxAsyncWaiters, Supplier<Throwable> journalFailure) {
        this.sender = sender;
        this.counters = counters;
        this.maxBlock = maxBlock;
        this.maxAsyncWaiters = maxAsyncWaiters;
        this.journalFailure = journalFailure;
    }

    /** The record as stored: source = emitter name, format EMBEDDED, receive time now. */
    private static LogRecord stamp(String emitterName, LogRecord record) {
        return record.received(emitterName, SourceFormat.EMBEDDED, LogRecord.nowNanos());
    }

    private void accepted(LogRecord stamped) {
        counters.recordAccepted(SourceFormat.EMBEDDED);
        counters.embeddedBytes(stamped.estimatedBytes());
    }

    private static AppendRequest request(LogRecord stamped, Durability level) {
        return level == Durability.WRITTEN ? AppendRequest.withReceipt(stamped) : AppendRequest.withDurableReceipt(stamped);
    }

    private static CompletionStage<Long> receipt(AppendRequest request) {
        return request.receiptWhenDurable() ? request.durable() : request.written();
    }

    /** Sent, Full(record) or Closed(record); the record handed back is the caller's own. */
    public SendResult<LogRecord> tryEmit(String emitterName, LogRecord record) {
        if (closed) {
            return new SendResult.Closed<>(record);
        }
        LogRecord stamped = stamp(emitterName, record);
        SendResult<AppendRequest> r = sender.trySend(AppendRequest.of(stamped));
        if (r instanceof SendResult.Sent<AppendRequest>) {
            accepted(stamped);
            return SendResult.sent();
        }
        if (r instanceof SendResult.Full<AppendRequest>) {
            return new SendResult.Full<>(record);
        }
        return new SendResult.Closed<>(record);
    }

    /**
     * Sends, pushing back on the caller while the channel is full (see the class comment), and
     * returns the receipt at the given level.
     */
    public CompletionStage<Long> emit(String emitterName, LogRecord record, Durability level) {
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        LogRecord stamped = stamp(emitterName, record);
        AppendRequest request = request(stamped, level);
        SendResult<AppendRequest> r = sender.trySend(request);
        if (r instanceof SendResult.Full<AppendRequest>) {
            if (Thread.currentThread() instanceof NonBlockingThread) {
                return emitWithoutThread(request, record);
            }
            try {
                r = sender.blockingSendTimeout(request, maxBlock);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return CompletableFuture.failedFuture(e);
            }
            if (r instanceof SendResult.TimedOut<AppendRequest>) {
                return CompletableFuture.failedFuture(new EmitFullException("the pipeline's channel stayed full for "
                        + maxBlock.toMillis() + " ms (the journal is behind); the record was not stored: retry it,"
                        + " or raise LogPipeline.Builder.emitMaxBlock", record));
            }
        }
        if (r instanceof SendResult.Sent<AppendRequest>) {
            accepted(stamped);
            return receipt(request);
        }
        return CompletableFuture.failedFuture(closedException());
    }

    // The channel is full and this thread must not block: wait without a thread, boundedly.
    private CompletionStage<Long> emitWithoutThread(AppendRequest request, LogRecord record) {
        if (asyncWaiters.incrementAndGet() > maxAsyncWaiters) {
            asyncWaiters.decrementAndGet();
            return CompletableFuture.failedFuture(new EmitFullException("the pipeline's channel is full and "
                    + maxAsyncWaiters + " emits from non-blocking threads already wait for room; the record was not"
                    + " stored: retry it later, or use tryEmit to see Full without waiting", record));
        }
        // The send stage may complete on the journal writer thread (the one that made room); what
        // runs there is only counting and handing over the receipt, never user code.
        return sender.send(request).thenCompose(result -> {
            asyncWaiters.decrementAndGet();
            if (!(result instanceof SendResult.Sent<AppendRequest>)) {
                return CompletableFuture.failedFuture(closedException());
            }
            accepted(request.record());
            return receipt(request);
        });
    }

    /** How many emits from non-blocking threads wait for room now (at most {@code maxAsyncWaiters}). */
    public int asyncWaiters() {
        return asyncWaiters.get();
    }

    /** Parks the caller until there is room, then until the record reaches {@code level}. */
    public long blockingEmit(String emitterName, LogRecord record, Durability level) throws InterruptedException {
        NonBlockingThread.check("blockingEmit");
        if (closed) {
            throw closedException();
        }
        if (Thread.interrupted()) {
            // before anything is taken: a plain InterruptedException means "not stored" (with room in the
            // channel the send would not have looked at the flag, and the wait below would have thrown it
            // for a record already taken)
            throw new InterruptedException("interrupted before the record was taken; it was not stored");
        }
        LogRecord stamped = stamp(emitterName, record);
        AppendRequest request = request(stamped, level);
        SendResult<AppendRequest> r = sender.blockingSend(request);
        if (!(r instanceof SendResult.Sent<AppendRequest>)) {
            throw closedException();
        }
        accepted(stamped);
        return await(receipt(request));
    }

    private static long await(CompletionStage<Long> stage) throws InterruptedException {
        try {
            return stage.toCompletableFuture().get();
        } catch (InterruptedException e) {
            throw new ReceiptInterruptedException(stage); // taken: being stored, not to be emitted again
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("the journal failed to store the record: " + cause, cause);
        }
    }

    private ChannelClosedException closedException() {
        Throwable failure = journalFailure.get();
        if (failure != null) {
            ChannelClosedException e = new ChannelClosedException("the pipeline's journal writer stopped (" + failure
                    + "); the record was not stored and no record is taken: see the log, then start a new pipeline");
            e.initCause(failure);
            return e;
        }
        return new ChannelClosedException("the pipeline is closed; emit before close() or start a new pipeline");
    }

    /** New emits fail from now on; emits already waiting for room go on (the writer still drains). */
    public void close() {
        closed = true;
    }

    public boolean isClosed() {
        return closed;
    }
}
