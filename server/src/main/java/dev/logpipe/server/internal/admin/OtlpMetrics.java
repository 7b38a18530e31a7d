package dev.logpipe.server.internal.admin;

import dev.logpipe.otlp.OtlpStats;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The OTLP/HTTP receiver's own metrics: answers per HTTP status, requests in flight, connections;
 * read from its {@link OtlpStats} on every scrape. Its records, acknowledgements and rejections are
 * in the pipeline's and the acknowledged listeners' metrics ({@code format="otlp"},
 * {@code protocol="otlp"}).
 *
 * <p>Threading: thread-safe; the supplier is called on the admin server's thread and must be cheap.
 */
final class OtlpMetrics {

    private final Supplier<OtlpStats> source;

    OtlpMetrics(PrometheusRegistry registry, Supplier<OtlpStats> source) {
        this.source = source;
        CounterWithCallback.builder().name("logpipe_otlp_responses_total")
                .help("Answers of the OTLP/HTTP receiver, by HTTP status (200 stored, 400 undecodable, 404/405/415"
                        + " refused, 413 too large, 429 channel full or too many requests or bytes in flight, 503 shutting down"
                        + " or not stored).")
                .labelNames("status")
                .callback(cb -> get().responses().forEach((status, n) -> cb.call(n, Integer.toString(status))))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_otlp_requests_in_flight")
                .help("OTLP/HTTP requests whose body is held or whose records wait to be stored.")
                .callback(cb -> cb.call(get().requestsInFlight()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_otlp_bytes_in_flight")
                .help("Body bytes (inflated) held by the OTLP/HTTP requests in flight.")
                .callback(cb -> cb.call(get().bytesInFlight()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_otlp_connections")
                .help("OTLP/HTTP connections open.")
                .callback(cb -> cb.call(get().openConnections()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_otlp_request_bytes_total")
                .help("OTLP/HTTP request bodies received, as sent (before gzip inflation).")
                .callback(cb -> cb.call(get().requestBytes()))
                .register(registry);
    }

    private OtlpStats get() {
        OtlpStats s = source.get();
        return s != null ? s : new OtlpStats(Map.of(), 0, 0, 0, 0, 0, 0, 0);
    }

    /** The key numbers for {@code /stats}. */
    Map<String, Object> statsView() {
        OtlpStats s = get();
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Long> responses = new TreeMap<>();
        s.responses().forEach((status, n) -> responses.put(Integer.toString(status), n));
        m.put("records", s.records());
        m.put("rejected_records", s.rejectedRecords());
        m.put("responses", responses);
        m.put("requests_in_flight", s.requestsInFlight());
        m.put("bytes_in_flight", s.bytesInFlight());
        m.put("connections", s.openConnections());
        return m;
    }
}
