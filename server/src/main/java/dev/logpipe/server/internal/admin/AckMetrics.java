package dev.logpipe.server.internal.admin;

import dev.logpipe.collector.AckStats;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The acknowledged listeners' metrics (RELP, Fluent Forward): acks sent and pending, their latency
 * histogram, messages per protocol and protocol errors; read from the pipeline's {@link AckStats}
 * on every scrape.
 *
 * <p>Threading: thread-safe; the supplier is called on the admin server's thread and must be cheap.
 */
final class AckMetrics {

    private final Supplier<AckStats> source;

    AckMetrics(PrometheusRegistry registry, Supplier<AckStats> source) {
        this.source = source;
        CounterWithCallback.builder().name("logpipe_ack_messages_received_total")
                .help("Messages received on acknowledged listeners (RELP syslog frames, Fluent event streams), by protocol.")
                .labelNames("protocol")
                .callback(cb -> get().received().forEach((p, n) -> cb.call(n, p)))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_acks_sent_total")
                .help("Acknowledgements sent to clients once their records were stored (durable or written, by ack level).")
                .callback(cb -> cb.call(get().acksSent()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_acks_failed_total")
                .help("Messages answered as not stored (RELP 500) because the journal could not store them.")
                .callback(cb -> cb.call(get().nacksSent()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_acks_pending")
                .help("Acknowledgements waiting for their records to be stored, over all connections.")
                .callback(cb -> cb.call(get().acksPending()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_ack_pressure_syncs_total")
                .help("Early journal syncs asked for because acknowledgements were waiting.")
                .callback(cb -> cb.call(get().pressureSyncs()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_ack_protocol_errors_total")
                .help("Protocol errors on acknowledged listeners (the session is closed), by reason.")
                .labelNames("reason")
                .callback(cb -> get().protocolErrors().forEach((r, n) -> cb.call(n, r)))
                .register(registry);
        registry.register(new Collector() {
            @Override
            public MetricSnapshot collect() {
                AckStats s = get();
                double[] bounds = new double[s.latencyBoundsMillis().length + 1];
                for (int i = 0; i < s.latencyBoundsMillis().length; i++) {
                    bounds[i] = s.latencyBoundsMillis()[i] / 1000.0;
                }
                bounds[bounds.length - 1] = Double.POSITIVE_INFINITY;
                return HistogramSnapshot.builder().name("logpipe_ack_latency_seconds")
                        .help("Time from decoding a message to sending its acknowledgement.")
                        .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                                .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, s.latencyBuckets()))
                                .sum(s.latencySumNanos() / 1e9)
                                .build())
                        .build();
            }

            @Override
            public String getPrometheusName() {
                return "logpipe_ack_latency_seconds";
            }
        });
    }

    private AckStats get() {
        AckStats s = source.get();
        return s != null ? s : new AckStats(Map.of(), 0, 0, 0, 0, Map.of(),
                dev.logpipe.collector.internal.pipeline.AckCounters.LATENCY_BOUNDS_MILLIS.clone(),
                new long[dev.logpipe.collector.internal.pipeline.AckCounters.LATENCY_BOUNDS_MILLIS.length + 1], 0);
    }

    /** The key numbers for {@code /stats}: counts and latency percentiles estimated from the buckets. */
    Map<String, Object> statsView() {
        AckStats s = get();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("received", s.received());
        m.put("sent", s.acksSent());
        m.put("failed", s.nacksSent());
        m.put("pending", s.acksPending());
        m.put("pressure_syncs", s.pressureSyncs());
        m.put("protocol_errors", s.protocolErrors());
        m.put("latency_p50_max_seconds", bucketBound(s, 0.50));
        m.put("latency_p99_max_seconds", bucketBound(s, 0.99));
        return m;
    }

    /** The upper bound of the bucket holding quantile {@code q}, in seconds; null without acks or above every bound. */
    static Double bucketBound(AckStats s, double q) {
        long total = 0;
        for (long c : s.latencyBuckets()) {
            total += c;
        }
        if (total == 0) {
            return null;
        }
        long seen = 0;
        for (int i = 0; i < s.latencyBuckets().length; i++) {
            seen += s.latencyBuckets()[i];
            if (seen >= Math.ceil(q * total)) {
                return i < s.latencyBoundsMillis().length ? s.latencyBoundsMillis()[i] / 1000.0 : null;
            }
        }
        return null;
    }
}
