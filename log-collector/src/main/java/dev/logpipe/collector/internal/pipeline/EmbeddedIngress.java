package dev.logpipe.collector.internal.pipeline;

import dev.logpipe.channels.ChannelClosedException;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.channels.SendResult;
import dev.logpipe.collector.Durability;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.FileSink;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * The in-process way into the journal channel, behind every {@code Emitter}: stamps records (source,
 * format, receive time), sends them, and turns the writer's receipts into index futures.
 *
 * <p>Threading: thread-safe; called from any number of application threads. Uses one sender handle
 * for all emitters: the channel serves waiting senders in arrival order and {@code trySend} does not
 * barge past them, so the records of one thread keep their order.
 */
public final class EmbeddedIngress {

    private final MpscSender<AppendRequest> sender;
    private final FileSink sink;
    private final PipelineCounters counters;
    private volatile boolean closed;

    public EmbeddedIngress(MpscSender<AppendRequest> sender, FileSink sink, PipelineCounters counters) {
        this.sender = sender;
        this.sink = sink;
        this.counters = counters;
    }

    /** The record as stored: source = emitter name, format EMBEDDED, receive time now. */
    private static LogRecord stamp(String emitterName, LogRecord record) {
        return record.toBuilder()
                .source(emitterName)
                .format(SourceFormat.EMBEDDED)
                .receiveTimeNanos(LogRecord.nowNanos())
                .build();
    }

    private void accepted(LogRecord stamped) {
        counters.recordAccepted(SourceFormat.EMBEDDED);
        counters.embeddedBytes(stamped.estimatedBytes());
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

    /** Sends (waiting without a thread for room); completes with the index at the given level. */
    public CompletionStage<Long> emit(String emitterName, LogRecord record, Durability level) {
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        LogRecord stamped = stamp(emitterName, record);
        AppendRequest request = AppendRequest.withReceipt(stamped);
        // The send stage may complete on the journal writer thread (the one that made room); what
        // runs there is only counting and composing, never user code.
        return sender.send(request).thenCompose(result -> {
            if (!(result instanceof SendResult.Sent<AppendRequest>)) {
                return CompletableFuture.failedFuture(closedException());
            }
            accepted(stamped);
            CompletionStage<Long> written = request.written();
            return level == Durability.WRITTEN ? written : written.thenCompose(sink::whenDurable);
        });
    }

    /** Parks the caller until there is room, then until the record reaches {@code level}. */
    public long blockingEmit(String emitterName, LogRecord record, Durability level) throws InterruptedException {
        NonBlockingThread.check("blockingEmit");
        if (closed) {
            throw closedException();
        }
        LogRecord stamped = stamp(emitterName, record);
        AppendRequest request = AppendRequest.withReceipt(stamped);
        SendResult<AppendRequest> r = sender.blockingSend(request);
        if (!(r instanceof SendResult.Sent<AppendRequest>)) {
            throw closedException();
        }
        accepted(stamped);
        long index = await(request.written());
        return level == Durability.WRITTEN ? index : await(sink.whenDurable(index));
    }

    private static long await(CompletionStage<Long> stage) throws InterruptedException {
        try {
            return stage.toCompletableFuture().get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("the journal failed to store the record: " + cause, cause);
        }
    }

    private static ChannelClosedException closedException() {
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
