package dev.logpipe.collector;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * An ingest endpoint that lives outside this library and feeds the same journal channel as the TCP
 * listeners and the emitters: a protocol whose dependencies an embedding application should not
 * carry (OTLP/HTTP, in the {@code otlp-receiver} module). Register it with
 * {@link LogPipeline.Builder#receiver(Receiver)}; the pipeline starts and stops it with its listeners.
 *
 * <p>Lifecycle, each method called once by the pipeline:
 * <ol>
 *   <li>{@link #start} by {@link LogPipeline.Builder#start()}, after the journal is open and the TCP
 *       listeners are bound. It binds and returns; records go in through the {@link ReceiverContext}.
 *       An {@link IOException} fails the pipeline's start, which then calls {@link #close()}.</li>
 *   <li>{@link #drain} when {@link LogPipeline#close()} begins, beside the TCP listeners' drain: stop
 *       taking new requests, answer those in flight once their records are stored, and complete
 *       when nothing is in flight (or when {@code grace} has passed: then close what is left). Only
 *       after every receiver and listener has drained does the pipeline close the channel.</li>
 *   <li>{@link #close()} at the end of the shutdown (also after a failed start): release sockets and
 *       threads. Idempotent.</li>
 * </ol>
 *
 * <p>Threading: implementations must be thread-safe. {@link #start} and {@link #close()} run on the
 * thread that starts or closes the pipeline and may block (never an event loop or a runtime worker);
 * {@link #drain} runs on a logpipe thread and must return at once.
 */
public interface Receiver {

    /**
     * The protocol's name, lower case, e.g. {@code otlp}: the label of its requests in
     * {@link AckStats#received()} and in log messages.
     */
    String protocol();

    /**
     * Binds and starts taking requests, handing records to {@code context}.
     *
     * @throws IOException if it cannot bind or load its settings; the message says what to do
     */
    void start(ReceiverContext context) throws IOException;

    /**
     * Stops taking new requests and finishes those in flight. Must return at once.
     *
     * @param grace the longest the drain may take; past it the receiver closes what remains
     * @return completes when no request is in flight and every record taken is in the channel
     */
    CompletionStage<Void> drain(Duration grace);

    /** Releases every socket and thread; may block briefly. Idempotent. */
    void close();
}
