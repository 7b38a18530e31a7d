package dev.logpipe.server.internal.admin;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.HdrHistogram.Recorder;

/**
 * The Prometheus metrics of a running {@code logpipe serve}, in their own registry.
 *
 * <p>Two kinds: gauges and counters read from a {@link PipelineSnapshot} supplier on every scrape
 * (the pipeline already counts these; copying them into our own counters would only add work on
 * the hot path), and histograms and counters fed by the journal writer's events
 * ({@link #onBatch}, {@link #onSync}, {@link #onDurable}, {@link #onRoll},
 * {@link #onRetentionDelete}, {@link #onError}), which {@code serve} forwards from a
 * file-sink listener. Send-to-durable latency is also kept in an HdrHistogram for exact
 * percentiles in {@code /stats}.
 *
 * <p>Names have the {@code logpipe_} prefix, base units (seconds, bytes) and {@code _total} on
 * counters.
 *
 * <p>Threading: thread-safe. The {@code on*} methods are cheap and never block; they are called on
 * the writer thread or a blocking-pool thread. The snapshot supplier is called on the admin
 * server's event loop at each scrape and must not block.
 */
public final class PipelineMetrics implements AdminMetrics {

    /** The reasons a record can be lost; each always has a sample, 0 when healthy. */
    private static final java.util.List<String> LOST_REASONS = java.util.List.of("journal_failure", "drain_timeout");

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Supplier<PipelineSnapshot> source;
    private final long startMillis = System.currentTimeMillis();

    private final Histogram batchRecords;
    private final Histogram batchBytes;
    private final Histogram syncSeconds;
    private final Histogram durableLatency;
    private final Counter syncs;
    private final Counter rolls;
    private final Counter retentionSegments;
    private final Counter retentionBytes;
    private final Counter sinkErrors;
    private final Recorder latencyRecorder = new Recorder(3);
    private final org.HdrHistogram.Histogram latencyTotal = new org.HdrHistogram.Histogram(3);
    private final AtomicReference<String> segment = new AtomicReference<>("");
    private volatile long lastSyncNanos = -1;

    public PipelineMetrics(Supplier<PipelineSnapshot> source) {
        this.source = source;
        CounterWithCallback.builder().name("logpipe_received_records_total")
                .help("Records decoded from TCP connections (and emitted in-process), by wire format.")
                .labelNames("format")
                .callback(cb -> source.get().receivedRecords().forEach((f, n) -> cb.call(n, f)))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_received_bytes_total")
                .help("Frame bytes decoded, by wire format.").unit(Unit.BYTES)
                .labelNames("format")
                .callback(cb -> source.get().receivedBytes().forEach((f, n) -> cb.call(n, f)))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_rejected_records_total")
                .help("Frames that did not parse or were too large (then stored raw or dropped, by policy), by reason.")
                .labelNames("reason")
                .callback(cb -> source.get().rejectedRecords().forEach((r, n) -> cb.call(n, r)))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_written_records_total")
                .help("Records appended to the journal (survive a crash of the process).")
                .callback(cb -> cb.call(source.get().writtenRecords()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_durable_records_total")
                .help("Records covered by a completed sync (survive a crash of the machine).")
                .callback(cb -> cb.call(source.get().durableRecords()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_records_at_risk")
                .help("Records written but not yet durable: what a machine crash now would lose.")
                .callback(cb -> cb.call(source.get().recordsAtRisk()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_channel_records")
                .help("Records waiting in the ingest channel for the journal writer.")
                .callback(cb -> cb.call(source.get().channelDepth()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_channel_capacity_records")
                .help("Capacity of the ingest channel, in records.")
                .callback(cb -> cb.call(source.get().channelCapacity()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_connections_active")
                .help("Open TCP ingest connections.")
                .callback(cb -> cb.call(source.get().activeConnections()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_connections_refused_total")
                .help("Connections refused because max-connections were open.")
                .callback(cb -> cb.call(source.get().refusedConnections()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_backpressure_pauses_total")
                .help("Times a connection stopped reading because the ingest channel was full.")
                .callback(cb -> cb.call(source.get().backpressurePauses()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_truncated_records_total")
                .help("Frames cut at max-frame (stored flagged TRUNCATED), by wire format.")
                .labelNames("format")
                .callback(cb -> source.get().truncatedRecords().forEach((f, n) -> cb.call(n, f)))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_lost_records_total")
                .help("Records accepted but never written, by reason: journal_failure (an I/O error stopped the journal)"
                        + " or drain_timeout (a shutdown ran out of time); 0 when healthy.")
                .labelNames("reason")
                .callback(cb -> {
                    Map<String, Long> lost = source.get().lostByReason();
                    for (String reason : LOST_REASONS) {
                        cb.call(lost.getOrDefault(reason, 0L), reason);
                    }
                    lost.forEach((reason, n) -> {
                        if (!LOST_REASONS.contains(reason)) {
                            cb.call(n, reason);
                        }
                    });
                })
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_records_in_flight")
                .help("Records received and not yet written or lost: held by connections, in the channel, or taken"
                        + " by the writer. received = written + lost + in flight.")
                .callback(cb -> cb.call(source.get().inFlightRecords()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_journal_writable")
                .help("1 while the journal takes records; 0 while it is paused (its file system is short of space),"
                        + " starting, failed or stopped.")
                .callback(cb -> cb.call(source.get().journalWritable() ? 1 : 0))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_journal_paused_seconds_total")
                .help("Time the journal spent paused because its file system was short of space.").unit(Unit.SECONDS)
                .callback(cb -> cb.call(Unit.nanosToSeconds(source.get().journalPausedNanos())))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_journal_pauses_total")
                .help("Times the journal paused because its file system was short of space.")
                .callback(cb -> cb.call(source.get().journalPauses()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_connections_accepted_total")
                .help("TCP ingest connections accepted.")
                .callback(cb -> cb.call(source.get().acceptedConnections()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_connections_idle_closed_total")
                .help("TCP ingest connections closed by the idle timeout.")
                .callback(cb -> cb.call(source.get().idleClosedConnections()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_tls_failures_total")
                .help("Failed TLS handshakes or records (bad or missing client certificate, ...).")
                .callback(cb -> cb.call(source.get().tlsFailures()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_segment_current")
                .help("The journal segment being written (label segment); always 1.")
                .labelNames("segment")
                .callback(cb -> {
                    String s = segment.get();
                    if (!s.isEmpty()) {
                        cb.call(1, s);
                    }
                })
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_start_time_seconds")
                .help("When this server started, in seconds since the epoch.").unit(Unit.SECONDS)
                .callback(cb -> cb.call(startMillis / 1000.0))
                .register(registry);

        batchRecords = Histogram.builder().name("logpipe_writer_batch_records")
                .help("Records per batch appended by the journal writer.")
                .classicOnly().classicExponentialUpperBounds(1, 4, 9)
                .register(registry);
        batchBytes = Histogram.builder().name("logpipe_writer_batch_bytes")
                .help("Bytes per batch appended by the journal writer.").unit(Unit.BYTES)
                .classicOnly().classicExponentialUpperBounds(256, 4, 9)
                .register(registry);
        syncSeconds = Histogram.builder().name("logpipe_sync_duration_seconds")
                .help("Time one journal sync (force to disk) took.").unit(Unit.SECONDS)
                .classicOnly().classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
                .register(registry);
        durableLatency = Histogram.builder().name("logpipe_send_to_durable_seconds")
                .help("From receipt of a record to the completed sync that made it durable (first record of each batch).")
                .unit(Unit.SECONDS)
                .classicOnly().classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5)
                .register(registry);
        syncs = Counter.builder().name("logpipe_syncs_total").help("Journal syncs completed.").register(registry);
        rolls = Counter.builder().name("logpipe_segment_rolls_total").help("Journal segments started (the first one of this run included).").register(registry);
        retentionSegments = Counter.builder().name("logpipe_retention_deleted_segments_total")
                .help("Journal segments deleted by retention (forced = over the hard byte limit, unread data lost).")
                .labelNames("forced").register(registry);
        retentionBytes = Counter.builder().name("logpipe_retention_deleted_bytes_total")
                .help("Bytes of journal segments deleted by retention.").unit(Unit.BYTES).register(registry);
        sinkErrors = Counter.builder().name("logpipe_sink_errors_total")
                .help("Errors reported by the journal writer (disk full, I/O errors).").register(registry);
    }

    /** The registry holding every logpipe metric. */
    @Override
    public PrometheusRegistry registry() {
        return registry;
    }

    /** The current pipeline snapshot, as the gauges see it. */
    public PipelineSnapshot snapshot() {
        return source.get();
    }

    /** The writer appended a batch. */
    public void onBatch(int records, long bytes) {
        batchRecords.observe(records);
        batchBytes.observe(bytes);
    }

    /** A sync completed. */
    public void onSync(long durationNanos, long durableIndex) {
        syncs.inc();
        lastSyncNanos = durationNanos;
        syncSeconds.observe(Unit.nanosToSeconds(durationNanos));
    }

    /** A batch became durable; its first record was received at {@code oldestReceiveTimeNanos}. */
    public void onDurable(long records, long oldestReceiveTimeNanos, long nowNanos) {
        long latency = Math.max(0, nowNanos - oldestReceiveTimeNanos);
        durableLatency.observe(Unit.nanosToSeconds(latency));
        latencyRecorder.recordValue(Math.max(1, TimeUnit.NANOSECONDS.toMicros(latency)));
    }

    /** The writer moved to a new segment. */
    public void onRoll(String segmentName) {
        rolls.inc();
        segment.set(segmentName);
    }

    /** The segment being written, without counting a roll (at start). */
    public void currentSegment(String segmentName) {
        segment.set(segmentName);
    }

    /** Retention deleted a segment file. */
    public void onRetentionDelete(Path file, long bytes, boolean forcedByHardLimit) {
        retentionSegments.labelValues(Boolean.toString(forcedByHardLimit)).inc();
        retentionBytes.inc(bytes);
    }

    /** The writer reported an error. */
    public void onError(Throwable t) {
        sinkErrors.inc();
    }

    private volatile AckMetrics acks;
    private volatile OtlpMetrics otlp;

    /** Adds the acknowledged listeners' metrics (RELP, Fluent), read from {@code source} (null: zeros). */
    public void acks(Supplier<dev.logpipe.collector.AckStats> source) {
        acks = new AckMetrics(registry, source);
    }

    /** Adds the OTLP/HTTP receiver's own metrics, read from {@code source} (null: zeros). */
    public void otlp(Supplier<dev.logpipe.otlp.OtlpStats> source) {
        otlp = new OtlpMetrics(registry, source);
    }

    /**
     * The key numbers for {@code logpipe stats} and {@code /stats}, as a JSON-ready map with
     * stable keys.
     */
    @Override
    public Map<String, Object> statsView(boolean ready) {
        PipelineSnapshot s = source.get();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ready", ready);
        m.put("uptime_seconds", (System.currentTimeMillis() - startMillis) / 1000);
        m.put("received_records", s.receivedRecords());
        m.put("received_bytes", s.receivedBytes());
        m.put("rejected_records", s.rejectedRecords());
        m.put("written_records", s.writtenRecords());
        m.put("durable_records", s.durableRecords());
        m.put("records_at_risk", s.recordsAtRisk());
        m.put("channel_records", s.channelDepth());
        m.put("channel_capacity_records", s.channelCapacity());
        m.put("connections_active", s.activeConnections());
        m.put("connections_refused", s.refusedConnections());
        m.put("backpressure_pauses", s.backpressurePauses());
        m.put("truncated_records", s.truncatedRecords());
        m.put("lost_records", s.lostRecords());
        m.put("lost_records_by_reason", s.lostByReason());
        m.put("in_flight_records", s.inFlightRecords());
        m.put("journal", s.journalState());
        m.put("journal_pauses", s.journalPauses());
        m.put("journal_paused_seconds", Unit.nanosToSeconds(s.journalPausedNanos()));
        m.put("syncs", (long) syncs.get());
        m.put("last_sync_seconds", lastSyncNanos < 0 ? null : Unit.nanosToSeconds(lastSyncNanos));
        m.put("segment", segment.get());
        m.put("retention_deleted_segments",
                (long) (retentionSegments.labelValues("false").get() + retentionSegments.labelValues("true").get()));
        m.put("sink_errors", (long) sinkErrors.get());
        Map<String, Object> lat = new LinkedHashMap<>();
        synchronized (latencyTotal) {
            latencyTotal.add(latencyRecorder.getIntervalHistogram());
            lat.put("count", latencyTotal.getTotalCount());
            if (latencyTotal.getTotalCount() > 0) {
                lat.put("p50", latencyTotal.getValueAtPercentile(50) / 1e6);
                lat.put("p99", latencyTotal.getValueAtPercentile(99) / 1e6);
                lat.put("p999", latencyTotal.getValueAtPercentile(99.9) / 1e6);
                lat.put("max", latencyTotal.getMaxValue() / 1e6);
            }
        }
        m.put("send_to_durable_seconds", lat);
        AckMetrics a = acks;
        if (a != null) {
            m.put("acks", a.statsView());
        }
        OtlpMetrics o = otlp;
        if (o != null) {
            m.put("otlp", o.statsView());
        }
        return m;
    }
}
