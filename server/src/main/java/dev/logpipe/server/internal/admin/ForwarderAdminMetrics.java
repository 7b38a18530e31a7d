package dev.logpipe.server.internal.admin;

import dev.logpipe.forward.kafka.ForwarderMetrics;
import dev.logpipe.forward.kafka.ForwarderState;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The metrics of {@code logpipe forward kafka}: each read from the forwarder's snapshot at scrape
 * time ({@code logpipe_forward_*}), and its {@code /stats} view (a {@code forwarder} object, which
 * {@code logpipe stats} recognises).
 *
 * <p>Threading: thread-safe; a scrape takes one snapshot per metric, which never blocks.
 */
public final class ForwarderAdminMetrics implements AdminMetrics {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Supplier<ForwarderMetrics> source;
    private final Map<String, String> identity;
    private final long startMillis = System.currentTimeMillis();

    /**
     * @param source the forwarder's {@code metrics()}
     * @param identity what the forwarder is, for {@code /stats} (name, topic, mode, transactional id…)
     */
    public ForwarderAdminMetrics(Supplier<ForwarderMetrics> source, Map<String, String> identity) {
        this.source = source;
        this.identity = Map.copyOf(identity);
        CounterWithCallback.builder().name("logpipe_forward_records_total")
                .help("Records Kafka has taken for good: committed in a transaction (exactly once) or acknowledged in an unbroken prefix (at least once).")
                .callback(cb -> cb.call(source.get().recordsForwarded())).register(registry);
        CounterWithCallback.builder().name("logpipe_forward_transactions_total")
                .help("Kafka transactions, by outcome.").labelNames("outcome")
                .callback(cb -> {
                    ForwarderMetrics m = source.get();
                    cb.call(m.transactionsCommitted(), "committed");
                    cb.call(m.transactionsAborted(), "aborted");
                }).register(registry);
        CounterWithCallback.builder().name("logpipe_forward_resent_records_total")
                .help("Records sent again after an error (at least once: possible duplicates).")
                .callback(cb -> cb.call(source.get().recordsResent())).register(registry);
        CounterWithCallback.builder().name("logpipe_forward_retries_total")
                .help("Kafka sessions that failed and were retried after a back-off.")
                .callback(cb -> cb.call(source.get().retries())).register(registry);
        GaugeWithCallback.builder().name("logpipe_forward_lag_records")
                .help("Records in the journal after the last committed one (-1: unknown).")
                .callback(cb -> cb.call(source.get().lagRecords())).register(registry);
        GaugeWithCallback.builder().name("logpipe_forward_lag_seconds")
                .help("Age of the oldest record read and not yet committed (0 when none waits).")
                .callback(cb -> cb.call(source.get().lagSeconds())).register(registry);
        GaugeWithCallback.builder().name("logpipe_forward_last_committed_index")
                .help("Journal index of the last record committed to Kafka (-1: none yet).")
                .callback(cb -> cb.call(source.get().lastCommittedIndex())).register(registry);
        GaugeWithCallback.builder().name("logpipe_forward_state")
                .help("1 for the forwarder's current state.").labelNames("state")
                .callback(cb -> {
                    ForwarderState now = source.get().state();
                    for (ForwarderState st : ForwarderState.values()) {
                        cb.call(st == now ? 1 : 0, st.name().toLowerCase(Locale.ROOT));
                    }
                }).register(registry);
    }

    @Override
    public PrometheusRegistry registry() {
        return registry;
    }

    @Override
    public Map<String, Object> statsView(boolean ready) {
        ForwarderMetrics m = source.get();
        Map<String, Object> f = new LinkedHashMap<>(identity);
        f.put("state", m.state().name().toLowerCase(Locale.ROOT));
        f.put("records_forwarded", m.recordsForwarded());
        f.put("transactions_committed", m.transactionsCommitted());
        f.put("transactions_aborted", m.transactionsAborted());
        f.put("records_resent", m.recordsResent());
        f.put("retries", m.retries());
        f.put("last_committed_index", m.lastCommittedIndex());
        f.put("lag_records", m.lagRecords());
        f.put("lag_seconds", m.lagSeconds());
        f.put("last_error", m.lastError());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ready", ready);
        out.put("uptime_seconds", (System.currentTimeMillis() - startMillis) / 1000);
        out.put("forwarder", f);
        return out;
    }
}
