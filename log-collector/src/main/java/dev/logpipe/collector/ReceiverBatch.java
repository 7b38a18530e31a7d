package dev.logpipe.collector;

import java.util.concurrent.CompletionStage;

/**
 * The records of one request admitted by {@link ReceiverContext#offer}: a receipt for all of them,
 * and the counting of the answer the receiver sends.
 *
 * <p>The receiver calls exactly one of {@link #acknowledged()}, {@link #failed()} or
 * {@link #abandoned()}, once, when it has answered (or will never answer) the request; until then the
 * batch counts as an acknowledgement pending ({@link AckStats#acksPending()}).
 *
 * <p>Threading: thread-safe. {@link #stored()} completes on a logpipe runtime worker (or the thread
 * that made room in the channel): callbacks attached without an executor must not block; hop to
 * your own thread to write the answer.
 */
public interface ReceiverBatch {

    /** How many records the batch holds. */
    int size();

    /**
     * Completes once every record has reached the ack level given to {@link ReceiverContext#offer}
     * (written or durable), or exceptionally (with {@link dev.logpipe.filesink.JournalWriteException})
     * if any of them could not be stored: answer with a retryable error then.
     */
    CompletionStage<Void> stored();

    /** The positive answer was sent: counts an acknowledgement and its latency from the offer. */
    void acknowledged();

    /** A negative answer was sent (a record could not be stored): counts a negative acknowledgement. */
    void failed();

    /** No answer will be sent (the client went away): counts neither. */
    void abandoned();
}
