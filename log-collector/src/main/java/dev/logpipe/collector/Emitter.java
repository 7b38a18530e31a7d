package dev.logpipe.collector;

import dev.logpipe.channels.SendResult;
import dev.logpipe.collector.internal.pipeline.EmbeddedIngress;
import dev.logpipe.filesink.LogRecord;

import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Sends log records from inside the application into a {@link LogPipeline}'s journal. Get one with
 * {@link LogPipeline#emitter(String)}; its name becomes each record's {@code source}, the format is
 * {@code EMBEDDED} and the receive time is stamped when the record is emitted (the event time is the
 * record's own).
 *
 * <p>Three forms; backpressure reaches the caller in each, and nothing waits without bound:
 * <ul>
 *   <li>{@link #tryEmit} never waits. When the channel is full: {@code Full(record)}, handing the
 *       record back ({@code Closed(record)} once the pipeline is closing).</li>
 *   <li>{@link #emit} returns a stage that completes with the record's journal index once it is
 *       durable (or written, with {@link Durability#WRITTEN}). When the channel is full it pushes
 *       back like Kafka's {@code KafkaProducer.send}: on an ordinary thread it <em>parks the calling
 *       thread</em> until there is room, for up to {@link LogPipeline.Builder#emitMaxBlock} (60 s by
 *       default), after which the stage fails with {@link EmitFullException} holding the record. On a
 *       thread that must not block (a Netty event loop or logpipe runtime worker: a
 *       {@link dev.logpipe.channels.NonBlockingThread}) it never parks: it waits for room without a
 *       thread, but only {@link LogPipeline.Builder#emitAsyncWaiters} (1024) such emits may wait at
 *       once, and the next one's stage fails at once with {@link EmitFullException}. So a tight
 *       {@code emit} loop runs at the journal's pace in bounded memory.</li>
 *   <li>{@link #blockingEmit} parks the calling thread for room, however long, and then until the
 *       record is durable (or written); it refuses to run on an event loop or runtime worker.</li>
 * </ul>
 *
 * <p>If the journal writer stops (a disk that fails, or an {@code Error} such as an
 * {@code OutOfMemoryError}), no stage and no parked caller is left waiting: the stages of records it
 * had not made durable fail with {@link dev.logpipe.filesink.JournalWriteException}, and every form
 * refuses new records at once ({@code Closed(record)}, or a
 * {@link dev.logpipe.channels.ChannelClosedException} that says the journal writer stopped, its
 * cause attached).
 *
 * <p>Memory: each stage {@link #emit} returns is one future that the journal completes in bulk (one
 * task per sync for durable ones); a caller that keeps a million stages keeps a million small
 * futures, nothing more. With {@code syncNever()} durable stages complete only at close: ask for
 * {@link Durability#WRITTEN} there.
 *
 * <p>Threading: thread-safe; share one emitter between any number of threads. Records emitted by one
 * thread are stored in the order that thread emitted them, whatever the form. The stages of
 * {@link #emit} complete on a logpipe thread (a runtime worker or the journal's sync task): dependent
 * actions attached with {@code thenX} run there and must be quick and never block; use the
 * {@code thenXAsync(.., executor)} forms for anything else.
 *
 * <p>Example:
 * <pre>{@code
 * Emitter log = pipeline.emitter("billing");
 * log.emit(LogRecord.builder().level(Level.INFO).message("invoice sent").build())
 *    .thenAccept(index -> System.out.println("durable at " + index));
 * }</pre>
 */
public final class Emitter {

    private final String name;
    private final EmbeddedIngress ingress;

    Emitter(String name, EmbeddedIngress ingress) {
        this.name = name;
        this.ingress = ingress;
    }

    /** The name given to {@link LogPipeline#emitter(String)}, stored as each record's source. */
    public String name() {
        return name;
    }

    /**
     * Offers the record without waiting.
     *
     * @return {@code Sent} (accepted: it will be written); {@code Full(record)} when the pipeline's
     *     channel has no room now; {@code Closed(record)} when the pipeline is closing or closed
     */
    public SendResult<LogRecord> tryEmit(LogRecord record) {
        return ingress.tryEmit(name, Objects.requireNonNull(record, "record"));
    }

    /**
     * Emits the record and returns a stage that completes with its journal index once it is durable.
     * While the channel is full it parks an ordinary calling thread (up to
     * {@link LogPipeline.Builder#emitMaxBlock}) or, on a non-blocking thread, waits without a thread
     * within a bounded set of waiters; see the class comment. The stage fails with
     * {@link EmitFullException} (the record handed back) when the channel stayed full, with
     * {@link dev.logpipe.channels.ChannelClosedException} if the pipeline closed before the record was
     * accepted, with {@link InterruptedException} if the calling thread was interrupted while parked,
     * with {@link dev.logpipe.filesink.RecordTooLargeException} if the record, encoded, is larger than
     * the journal takes ({@code JournalSettings.maxRecordBytes}, 4 MiB by default; the records around
     * it are stored), and with {@link dev.logpipe.filesink.JournalWriteException} if the journal could
     * not store it.
     */
    public CompletionStage<Long> emit(LogRecord record) {
        return emit(record, Durability.DURABLE);
    }

    /** Like {@link #emit(LogRecord)}, completing once the record reaches {@code level}. */
    public CompletionStage<Long> emit(LogRecord record, Durability level) {
        return ingress.emit(name, Objects.requireNonNull(record, "record"), Objects.requireNonNull(level, "level"));
    }

    /**
     * Emits the record, parking the calling thread while the channel is full and then until the
     * record is durable; returns its journal index.
     *
     * @throws IllegalStateException on an event loop or runtime worker thread (use {@link #emit})
     * @throws dev.logpipe.channels.ChannelClosedException if the pipeline is closed
     * @throws ReceiptInterruptedException if interrupted after the record was taken, while waiting for it
     *     to be stored: it is being stored, do not emit it again
     * @throws InterruptedException (any other) if interrupted before the record was taken (also when the
     *     thread's interrupt flag was set at the call): it was not stored
     */
    public long blockingEmit(LogRecord record) throws InterruptedException {
        return blockingEmit(record, Durability.DURABLE);
    }

    /** Like {@link #blockingEmit(LogRecord)}, returning once the record reaches {@code level}; interrupts alike. */
    public long blockingEmit(LogRecord record, Durability level) throws InterruptedException {
        return ingress.blockingEmit(name, Objects.requireNonNull(record, "record"), Objects.requireNonNull(level, "level"));
    }

    @Override
    public String toString() {
        return "Emitter[" + name + "]";
    }
}
