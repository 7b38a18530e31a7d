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
 * <p>Three forms, as everywhere in logpipe; backpressure reaches the caller in each:
 * <ul>
 *   <li>{@link #tryEmit} never waits: {@code Sent}, or {@code Full(record)} / {@code Closed(record)}
 *       handing the record back;</li>
 *   <li>{@link #emit} waits for room without a thread and completes with the record's journal index
 *       once it is durable (or written, with {@link Durability#WRITTEN});</li>
 *   <li>{@link #blockingEmit} parks the calling thread for room and then for the record to be durable
 *       (or written); it refuses to run on an event loop or runtime worker.</li>
 * </ul>
 *
 * <p>Memory: {@link #emit} never parks a thread, so each emit still waiting for room holds its record
 * until the channel takes it; a producer that may outrun the journal for long should bound its
 * outstanding stages, or use {@link #blockingEmit} or {@link #tryEmit}.
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
     * Emits the record, waiting without a thread while the channel is full, and completes with its
     * journal index once it is durable. Fails with {@link dev.logpipe.channels.ChannelClosedException}
     * if the pipeline closed before the record was accepted.
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
     */
    public long blockingEmit(LogRecord record) throws InterruptedException {
        return blockingEmit(record, Durability.DURABLE);
    }

    /** Like {@link #blockingEmit(LogRecord)}, returning once the record reaches {@code level}. */
    public long blockingEmit(LogRecord record, Durability level) throws InterruptedException {
        return ingress.blockingEmit(name, Objects.requireNonNull(record, "record"), Objects.requireNonNull(level, "level"));
    }

    @Override
    public String toString() {
        return "Emitter[" + name + "]";
    }
}
