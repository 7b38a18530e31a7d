package dev.logpipe.collector;

import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;

import java.util.List;

/**
 * What a {@link Receiver} gets from its pipeline: the way into the journal channel (shared with the
 * TCP listeners and the emitters, counted in the same {@link PipelineStats} and {@link AckStats}),
 * and its counters.
 *
 * <p>A request is admitted whole or not at all: {@link #offer} either takes every record of the batch
 * ({@link Accepted}) or none ({@link Full}, {@link Closed}), so a client told to retry resends
 * nothing that was stored. An admitted batch is held by the pipeline until it is in the channel: a
 * receiver never queues records itself, and bounds its memory by bounding its requests in flight.
 *
 * <p>Sync on pressure: while a batch admitted with {@link Durability#DURABLE} waits, the pipeline asks
 * the journal for an early sync every 2 ms (coalesced with the sync in flight), as it does for RELP
 * and Fluent acknowledgements.
 *
 * <p>Threading: thread-safe; every method returns at once and may be called on an event loop.
 */
public interface ReceiverContext {

    /** The outcome of {@link #offer}. */
    sealed interface Offer permits Accepted, Full, Closed {
    }

    /** Every record of the batch was taken; answer the client once {@link ReceiverBatch#stored()} completes. */
    record Accepted(ReceiverBatch batch) implements Offer {
    }

    /** The channel has no room for the batch now; nothing was taken: ask the client to retry later. */
    record Full() implements Offer {
    }

    /** The pipeline no longer takes records (shutting down, or its journal failed); nothing was taken. */
    record Closed() implements Offer {
    }

    /**
     * Offers the records of one request, in order, each already carrying its source, format and
     * receive time. Admitted when the channel has room for all of them (for a batch heavier than
     * half the channel: when the channel is at most half full). Counts the records as received (per
     * format) and the request under {@link Receiver#protocol()}.
     *
     * @param records  one or more records; the list is not kept
     * @param ackLevel when {@link ReceiverBatch#stored()} completes: once every record is written, or durable
     * @throws IllegalArgumentException if {@code records} is empty
     */
    Offer offer(List<LogRecord> records, Durability ackLevel);

    /** Counts {@code bytes} received for {@code format} (a request body as it came off the wire). */
    void receivedBytes(SourceFormat format, long bytes);

    /**
     * Counts {@code records} records of a request that the receiver refused to store (shown with the
     * TCP decoders' rejections, {@link PipelineStats#rejected()}, by {@code reason}).
     */
    void rejected(RejectReason reason, long records);

    /** Counts a request refused as a whole, by snake_case {@code reason} ({@link AckStats#protocolErrors()}). */
    void protocolError(String reason);
}
