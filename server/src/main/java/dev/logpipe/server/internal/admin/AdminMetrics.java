package dev.logpipe.server.internal.admin;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.Map;

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
        return registry().scrape();
    }

    /** The key numbers for {@code /stats} and {@code logpipe stats}, as a JSON-ready map with stable keys. */
    Map<String, Object> statsView(boolean ready);
}
