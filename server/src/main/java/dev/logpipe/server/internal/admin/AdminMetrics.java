package dev.logpipe.server.internal.admin;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What an {@link AdminServer} serves: the Prometheus registry behind {@code /metrics} and the key
 * numbers behind {@code /stats}. {@code serve} has {@link PipelineMetrics}, {@code forward kafka}
 * has {@link ForwarderAdminMetrics}.
 *
 * <p>Threading: implementations are thread-safe; both methods run on the admin event loop and must
 * not block.
 */
public interface AdminMetrics {

    /** The registry {@code /metrics} scrapes. */
    PrometheusRegistry registry();

    /** One scrape of {@link #registry()}, as {@code /metrics} serves it. */
    default MetricSnapshots scrape() {
        return scrape(name -> true);
    }

    /**
     * One scrape of the metrics whose names {@code includedNames} accepts, as {@code /metrics?name[]=...}
     * serves it (the predicate sees a metric's name without its {@code _total} suffix).
     */
    default MetricSnapshots scrape(Predicate<String> includedNames) {
        return registry().scrape(includedNames);
    }

    /** The key numbers for {@code /stats} and {@code logpipe stats}, as a JSON-ready map with stable keys. */
    Map<String, Object> statsView(boolean ready);
}
