package dev.logpipe.otlp.internal;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The OTLP receiver's own counters: answers per HTTP status, records taken and rejected, bytes,
 * requests in flight and connections. Records, acknowledgements and rejections are also counted in
 * the pipeline's stats through its {@code ReceiverContext}.
 *
 * <p>Threading: thread-safe; written from event loops, read from any thread; a snapshot is not
 * atomic across counters.
 */
public final class OtlpCounters {

    private final ConcurrentHashMap<Integer, LongAdder> responses = new ConcurrentHashMap<>();
    public final LongAdder records = new LongAdder();
    public final LongAdder rejectedRecords = new LongAdder();
    public final LongAdder requestBytes = new LongAdder();
    /** Requests whose body is held or whose records wait to be stored (the bounded number). */
    public final AtomicInteger requestsInFlight = new AtomicInteger();
    /** Body bytes (inflated when gzip) of the requests in flight: the bounded memory. */
    public final AtomicLong bytesInFlight = new AtomicLong();
    public final AtomicInteger openConnections = new AtomicInteger();
    public final LongAdder refusedConnections = new LongAdder();

    /** Counts one answer with this status. */
    public void response(int status) {
        responses.computeIfAbsent(status, k -> new LongAdder()).increment();
    }

    /** Answers sent per HTTP status code. */
    public Map<Integer, Long> responses() {
        TreeMap<Integer, Long> m = new TreeMap<>();
        responses.forEach((k, v) -> m.put(k, v.sum()));
        return Collections.unmodifiableMap(m);
    }
}
