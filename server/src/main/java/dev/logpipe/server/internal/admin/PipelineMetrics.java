package dev.logpipe.server.internal.admin;

import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.LostReason;
import dev.logpipe.collector.PipelineStats;
import dev.logpipe.collector.RejectReason;
import dev.logpipe.filesink.JournalState;
import dev.logpipe.filesink.SinkStats;
import dev.logpipe.filesink.SourceFormat;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.HdrHistogram.Recorder;

/**
 * The Prometheus metrics of a running {@code logpipe serve}, in their own registry.
 *
 * <p>Two kinds: counters and gauges read from one {@link PipelineStats} snapshot taken on every
 * {@link #scrape} (the pipeline and its journal already count these; nothing is copied on the hot path), and
 * histograms fed by the journal writer's events ({@link #onBatch}, {@link #onSync},
 * {@link #onDurable}), which {@code serve} forwards from a file-sink listener: a distribution is
 * what a snapshot cannot give. Send-to-durable latency is also kept in an HdrHistogram for exact
 * percentiles in {@code /stats}.
 *
 * <p>Names have the {@code logpipe_} prefix, base units (seconds, bytes) and {@code _total} on
 * counters. Reason labels are {@link RejectReason#label()} and {@link LostReason#label()}.
 *
 * <p>Threading: thread-safe. The {@code on*} methods are cheap and never block; they are called on
 * the writer thread or a blocking-pool thread. The stats supplier is called on the admin server's
 * event loop once per {@link #scrape} (once per metric when the registry is scraped directly) and must not block.
 */
public final class PipelineMetrics implements AdminMetrics {

    /** What the metrics show before the pipeline has started: zeros, the journal starting. */
    static final PipelineStats NOT_STARTED = new PipelineStats(LogPipeline.State.RUNNING, Map.of(), Map.of(),
            Map.of(), Map.of(), new SinkStats(0, 0, 0, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null,
            JournalState.STARTING, 0, 0, 0, 0, 0, 0, 0), -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "", Map.of(), 0);

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Supplier<PipelineStats> source;
    /** The snapshot of the scrape in progress (on the scraping thread, under this object's lock), else null. */
    private volatile PipelineStats scraping;
    private final long channelCapacityRecords;
    private final long startMillis = System.currentTimeMillis();

    private final Histogram batchRecords;
    private final Histogram batchBytes;
    private final Histogram syncSeconds;
    private final Histogram durableLatency;
    private final Recorder latencyRecorder = new Recorder(3);
    private final org.HdrHistogram.Histogram latencyTotal = new org.HdrHistogram.Histogram(3);

    /**
     * @param source the pipeline's stats, or null before it has started
     * @param channelCapacityRecords the ingest channel's capacity in records, as configured
     */
    public PipelineMetrics(Supplier<PipelineStats> source, long channelCapacityRecords) {
        this.source = source;
        this.channelCapacityRecords = channelCapacityRecords;
        CounterWithCallback.builder().name("logpipe_received_records_total")
                .help("Records decoded from TCP connections (and emitted in-process), by wire format.")
                .labelNames("format")
                .callback(cb -> byFormat(stats().receivedRecords()).forEach((f, n) -> cb.call(n, f)))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_received_bytes_total")
                .help("Frame bytes decoded, by wire format.").unit(Unit.BYTES)
                .labelNames("format")
                .callback(cb -> byFormat(stats().receivedBytes()).forEach((f, n) -> cb.call(n, f)))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_rejected_records_total")
                .help("Frames that did not parse or were too large (then stored raw or dropped, by policy), by reason.")
                .labelNames("reason")
                .callback(cb -> byLabel(stats().rejected()).forEach((r, n) -> cb.call(n, r)))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_written_records_total")
                .help("Records appended to the journal (survive a crash of the process).")
                .callback(cb -> cb.call(stats().writtenRecords()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_durable_records_total")
                .help("Records covered by a completed sync (survive a crash of the machine).")
                .callback(cb -> cb.call(stats().durableRecords()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_records_at_risk")
                .help("Records written but not yet durable: what a machine crash now would lose.")
                .callback(cb -> cb.call(stats().recordsAtRisk()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_channel_records")
                .help("Records waiting in the ingest channel for the journal writer.")
                .callback(cb -> cb.call(stats().channelDepth()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_channel_capacity_records")
                .help("Capacity of the ingest channel, in records.")
                .callback(cb -> cb.call(stats() == NOT_STARTED ? 0 : channelCapacityRecords))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_connections_active")
                .help("Open TCP ingest connections.")
                .callback(cb -> cb.call(stats().activeConnections()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_connections_refused_total")
                .help("Connections refused because max-connections were open.")
                .callback(cb -> cb.call(stats().refusedConnections()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_backpressure_pauses_total")
                .help("Times a connection stopped reading because the ingest channel was full.")
                .callback(cb -> cb.call(stats().backpressurePauses()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_memory_pauses_total")
                .help("Times a connection stopped reading because its listener's memory for unfinished frames and"
                        + " messages was taken, until another connection's was stored.")
                .callback(cb -> cb.call(stats().memoryPauses()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_truncated_records_total")
                .help("Frames cut at max-frame (stored flagged TRUNCATED), by wire format.")
                .labelNames("format")
                .callback(cb -> byFormat(stats().truncated()).forEach((f, n) -> cb.call(n, f)))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_lost_records_total")
                .help("Records accepted but never written, by reason: journal_failure (an I/O error stopped the journal)"
                        + " or drain_timeout (a shutdown ran out of time); 0 when healthy.")
                .labelNames("reason")
                .callback(cb -> {
                    PipelineStats s = stats();
                    for (LostReason reason : LostReason.values()) { // each always has a sample, 0 when healthy
                        cb.call(s.lost(reason), reason.label());
                    }
                })
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_records_in_flight")
                .help("Records received and not yet written or lost: held by connections, in the channel, or taken"
                        + " by the writer. received = written + lost + in flight.")
                .callback(cb -> cb.call(stats().inFlightRecords()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_journal_writable")
                .help("1 while the journal takes records; 0 while it is paused (its file system is short of space),"
                        + " starting, failed or stopped.")
                .callback(cb -> cb.call(stats().journalState() == JournalState.WRITABLE ? 1 : 0))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_journal_paused_seconds_total")
                .help("Time the journal spent paused because its file system was short of space.").unit(Unit.SECONDS)
                .callback(cb -> cb.call(Unit.nanosToSeconds(stats().journalPausedNanos())))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_journal_pauses_total")
                .help("Times the journal paused because its file system was short of space.")
                .callback(cb -> cb.call(stats().journalPauses()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_connections_accepted_total")
                .help("TCP ingest connections accepted.")
                .callback(cb -> cb.call(stats().acceptedConnections()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_connections_idle_closed_total")
                .help("TCP ingest connections closed by the idle timeout.")
                .callback(cb -> cb.call(stats().idleClosedConnections()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_tls_failures_total")
                .help("Failed TLS handshakes or records (bad or missing client certificate, ...).")
                .callback(cb -> cb.call(stats().tlsFailures()))
                .register(registry);
        GaugeWithCallback.builder().name("logpipe_segment_current")
                .help("The journal segment being written (label segment); always 1.")
                .labelNames("segment")
                .callback(cb -> {
                    String segment = stats().currentSegment();
                    if (!segment.isEmpty()) {
                        cb.call(1, segment);
                    }
                })
                .register(registry);
        CounterWithCallback.builder().name("logpipe_syncs_total").help("Journal syncs completed.")
                .callback(cb -> cb.call(stats().sink().syncs()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_segment_rolls_total")
                .help("Journal segments started (the first one of this run included).")
                .callback(cb -> cb.call(segmentsStarted(stats())))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_retention_deleted_segments_total")
                .help("Journal segments deleted by retention (forced = over the hard byte limit, unread data lost).")
                .labelNames("forced")
                .callback(cb -> {
                    SinkStats s = stats().sink();
                    cb.call(s.retentionDeletedSegments() - s.retentionForcedDeletes(), "false");
                    cb.call(s.retentionForcedDeletes(), "true");
                })
                .register(registry);
        CounterWithCallback.builder().name("logpipe_retention_deleted_bytes_total")
                .help("Bytes of journal segments deleted by retention.").unit(Unit.BYTES)
                .callback(cb -> cb.call(stats().sink().retentionDeletedBytes()))
                .register(registry);
        CounterWithCallback.builder().name("logpipe_sink_errors_total")
                .help("Errors reported by the journal writer (disk full, I/O errors).")
                .callback(cb -> cb.call(stats().sink().errors()))
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
    }

    /** The registry holding every logpipe metric. */
    @Override
    public PrometheusRegistry registry() {
        return registry;
    }

    /** The pipeline's stats now, as the metrics see them ({@link #NOT_STARTED} before it has started). */
    public PipelineStats stats() {
        PipelineStats s = scraping;
        if (s == null) {
            s = source.get();
        }
        return s == null ? NOT_STARTED : s;
    }

    /**
     * One scrape, every counter and gauge from one stats snapshot: consistent with each other, and one
     * snapshot per scrape rather than one per metric.
     */
    @Override
    public synchronized MetricSnapshots scrape(Predicate<String> includedNames) {
        PipelineStats s = source.get();
        scraping = s == null ? NOT_STARTED : s;
        try {
            return registry.scrape(includedNames);
        } finally {
            scraping = null;
        }
    }

    /** The writer appended a batch. */
    public void onBatch(int records, long bytes) {
        batchRecords.observe(records);
        batchBytes.observe(bytes);
    }

    /** A sync completed in {@code durationNanos}. */
    public void onSync(long durationNanos) {
        syncSeconds.observe(Unit.nanosToSeconds(durationNanos));
    }

    /** A batch became durable; its first record was received at {@code oldestReceiveTimeNanos}. */
    public void onDurable(long oldestReceiveTimeNanos, long nowNanos) {
        long latency = Math.max(0, nowNanos - oldestReceiveTimeNanos);
        durableLatency.observe(Unit.nanosToSeconds(latency));
        latencyRecorder.recordValue(Math.max(1, TimeUnit.NANOSECONDS.toMicros(latency)));
    }

    /** Segments started in this run: the rolls, and the first segment once there is one. */
    static long segmentsStarted(PipelineStats s) {
        return s.sink().rolls() + (s.currentSegment().isEmpty() ? 0 : 1);
    }

    /** Counts per format, keyed by the format's metric label ({@code json}, {@code syslog_5424}, ...). */
    public static Map<String, Long> byFormat(Map<SourceFormat, Long> byFormat) {
        Map<String, Long> m = new LinkedHashMap<>();
        byFormat.forEach((f, n) -> m.put(f.name().toLowerCase(Locale.ROOT), n));
        return m;
    }

    /** Counts per reason, keyed by the reason's label ({@code toString()} of the reason enums), sorted. */
    static Map<String, Long> byLabel(Map<? extends Enum<?>, Long> byReason) {
        Map<String, Long> m = new TreeMap<>();
        byReason.forEach((r, n) -> m.put(r.toString(), n));
        return m;
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
        PipelineStats s = stats();
        SinkStats sink = s.sink();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ready", ready);
        m.put("uptime_seconds", (System.currentTimeMillis() - startMillis) / 1000);
        m.put("received_records", byFormat(s.receivedRecords()));
        m.put("received_bytes", byFormat(s.receivedBytes()));
        m.put("rejected_records", byLabel(s.rejected()));
        m.put("written_records", s.writtenRecords());
        m.put("durable_records", s.durableRecords());
        m.put("records_at_risk", s.recordsAtRisk());
        m.put("channel_records", s.channelDepth());
        m.put("channel_capacity_records", source.get() == null ? 0L : channelCapacityRecords);
        m.put("connections_active", (long) s.activeConnections());
        m.put("connections_refused", s.refusedConnections());
        m.put("backpressure_pauses", s.backpressurePauses());
        m.put("memory_pauses", s.memoryPauses());
        m.put("truncated_records", byFormat(s.truncated()));
        m.put("lost_records", s.lostRecords());
        m.put("lost_records_by_reason", byLabel(s.lostByReason()));
        m.put("in_flight_records", s.inFlightRecords());
        m.put("journal", s.journalState().name().toLowerCase(Locale.ROOT));
        m.put("journal_pauses", s.journalPauses());
        m.put("journal_paused_seconds", Unit.nanosToSeconds(s.journalPausedNanos()));
        m.put("syncs", sink.syncs());
        m.put("last_sync_seconds", sink.syncs() == 0 ? null : Unit.nanosToSeconds(sink.lastSyncNanos()));
        m.put("segment", s.currentSegment());
        m.put("retention_deleted_segments", sink.retentionDeletedSegments());
        m.put("sink_errors", sink.errors());
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
