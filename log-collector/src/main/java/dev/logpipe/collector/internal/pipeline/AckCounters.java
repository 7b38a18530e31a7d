package dev.logpipe.collector.internal.pipeline;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of the acknowledged listeners (RELP, Fluent Forward): messages received per protocol,
 * acknowledgements sent and pending, their latency (from the message's decoding to its
 * acknowledgement being written), and protocol errors per reason.
 *
 * <p>Threading: thread-safe; written from event loops, read from any thread. A snapshot is not
 * atomic across counters.
 */
public final class AckCounters {

    /** Upper bounds of the latency histogram's buckets, in milliseconds; one more bucket holds the rest. */
    public static final double[] LATENCY_BOUNDS_MILLIS = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000};

    private final ConcurrentHashMap<String, LongAdder> received = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> errors = new ConcurrentHashMap<>();
    /** Acknowledgements written (positive ones; a RELP {@code 500} counts under {@link #nacksSent}). */
    public final LongAdder acksSent = new LongAdder();
    /** Negative acknowledgements written (RELP {@code 500}). */
    public final LongAdder nacksSent = new LongAdder();
    /** Acknowledgements waiting for their records to become durable (or written), over all connections. */
    public final AtomicLong acksPending = new AtomicLong();
    /** Early syncs asked for because acknowledgements were waiting. */
    public final LongAdder pressureSyncRequests = new LongAdder();
    private final LongAdder[] latencyBuckets = new LongAdder[LATENCY_BOUNDS_MILLIS.length + 1];
    private final LongAdder latencySumNanos = new LongAdder();

    public AckCounters() {
        for (int i = 0; i < latencyBuckets.length; i++) {
            latencyBuckets[i] = new LongAdder();
        }
    }

    /** One message (RELP {@code syslog} frame, Fluent event stream) received on {@code protocol}. */
    public void received(String protocol) {
        received.computeIfAbsent(protocol, k -> new LongAdder()).increment();
    }

    /** A protocol error, by snake_case reason (e.g. {@code relp_bad_frame}). */
    public void error(String reason) {
        errors.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** An acknowledgement was written {@code latencyNanos} after its message was decoded. */
    public void ackSent(long latencyNanos) {
        acksSent.increment();
        latencySumNanos.add(latencyNanos);
        double ms = latencyNanos / (double) TimeUnit.MILLISECONDS.toNanos(1);
        int i = 0;
        while (i < LATENCY_BOUNDS_MILLIS.length && ms > LATENCY_BOUNDS_MILLIS[i]) {
            i++;
        }
        latencyBuckets[i].increment();
    }

    public Map<String, Long> received() {
        return snapshot(received);
    }

    public Map<String, Long> errors() {
        return snapshot(errors);
    }

    /** Per bucket (not cumulative) counts of {@link #ackSent} latencies; the last is above every bound. */
    public long[] latencyBuckets() {
        long[] a = new long[latencyBuckets.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = latencyBuckets[i].sum();
        }
        return a;
    }

    public long latencySumNanos() {
        return latencySumNanos.sum();
    }

    private static Map<String, Long> snapshot(ConcurrentHashMap<String, LongAdder> m) {
        TreeMap<String, Long> t = new TreeMap<>();
        m.forEach((k, v) -> t.put(k, v.sum()));
        return Collections.unmodifiableMap(t);
    }
}
