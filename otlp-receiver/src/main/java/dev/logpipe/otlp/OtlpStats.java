package dev.logpipe.otlp;

import java.util.Map;

/**
 * A snapshot of an {@link OtlpReceiver}'s counters. Its records, acknowledgements and rejections are
 * also in the pipeline's {@code PipelineStats} (format {@code OTLP}) and {@code AckStats} (protocol
 * {@code otlp}).
 *
 * <p>Threading: immutable, thread-safe. Not atomic across fields.
 *
 * @param responses          answers sent per HTTP status code (200, 400, 404, 405, 413, 415, 429, 503)
 * @param records            log records taken into the pipeline
 * @param rejectedRecords    log records refused within otherwise good requests (partial success)
 * @param requestBytes       request bodies received, as sent (before gzip inflation)
 * @param requestsInFlight   requests whose body is held or whose records wait to be stored now
 * @param bytesInFlight      body bytes (inflated) those requests hold now, bounded by
 *                           {@link OtlpReceiver.Builder#maxBytesInFlight}
 * @param openConnections    connections open now
 * @param refusedConnections connections closed at once (over the connection limit, or while draining)
 */
public record OtlpStats(Map<Integer, Long> responses, long records, long rejectedRecords, long requestBytes,
                        int requestsInFlight, long bytesInFlight, int openConnections, long refusedConnections) {

    /** Answers sent with this status code. */
    public long responses(int status) {
        return responses.getOrDefault(status, 0L);
    }

    /** Requests answered 429: the channel was full, or too many requests were in flight. */
    public long throttled() {
        return responses(429);
    }
}
