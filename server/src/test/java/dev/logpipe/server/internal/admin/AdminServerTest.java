package dev.logpipe.server.internal.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.LostReason;
import dev.logpipe.collector.PipelineStats;
import dev.logpipe.collector.RejectReason;
import dev.logpipe.filesink.JournalState;
import dev.logpipe.filesink.SinkStats;
import dev.logpipe.filesink.SourceFormat;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.BindException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(90)
class AdminServerTest {

    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*\\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)");

    private final AtomicReference<PipelineStats> snapshot = new AtomicReference<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private PipelineMetrics metrics;
    private AdminServer server;

    @BeforeEach
    void start() throws Exception {
        metrics = new PipelineMetrics(snapshot::get, 100);
        server = AdminServer.start("127.0.0.1", 0, metrics);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthIsUpAtOnce() throws Exception {
        HttpResponse<String> r = get("/health");
        assertEquals(200, r.statusCode());
        assertEquals("ok\n", r.body());
    }

    @Test
    void readyIs503UntilReadyThen200AndAgain503WhileDraining() throws Exception {
        HttpResponse<String> before = get("/ready");
        assertEquals(503, before.statusCode());
        assertEquals("starting\n", before.body());
        server.ready(true);
        assertEquals(200, get("/ready").statusCode());
        server.ready(false, "draining");
        HttpResponse<String> after = get("/ready");
        assertEquals(503, after.statusCode());
        assertEquals("draining\n", after.body());
    }

    @Test
    void metricsIsValidPrometheusTextWithEveryName() throws Exception {
        // 9 written (6 durable), 1 sync, 2 rolls after the first segment, 1 retention deletion, 1 error, paused
        SinkStats sink = new SinkStats(9, 1024, 1, 8, 5, 1, 0, 2_000_000, 2_000_000, 2_000_000, 0, 2, 1, 4096, 0,
                null, JournalState.PAUSED, 2, 1_500_000_000L, 0, 0, 6, 1, 0);
        snapshot.set(new PipelineStats(LogPipeline.State.RUNNING,
                Map.of(SourceFormat.JSON, 7L, SourceFormat.SYSLOG_5424, 2L),
                Map.of(SourceFormat.JSON, 700L, SourceFormat.SYSLOG_5424, 150L),
                Map.of(RejectReason.INVALID_JSON, 3L), Map.of(SourceFormat.JSON, 1L), sink, 5, 1, 65536, 2, 5, 4, 1, 0,
                4, 3, 0, "20261125-17", Map.of(LostReason.DRAIN_TIMEOUT, 4L), 3));
        metrics.onBatch(9, 1024);
        metrics.onSync(2_000_000);
        metrics.onDurable(1_000_000_000L, 1_040_000_000L);

        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"));

        Map<String, Double> samples = new HashMap<>();
        Set<String> typed = new HashSet<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("# TYPE ")) {
                typed.add(line.split(" ")[2]);
                continue;
            }
            if (line.startsWith("#") || line.isEmpty()) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "not a Prometheus sample line: " + line);
            samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3).replace("Inf", "Infinity")));
        }
        for (String family : List.of("logpipe_received_records_total", "logpipe_received_bytes_total",
                "logpipe_rejected_records_total", "logpipe_written_records_total", "logpipe_durable_records_total",
                "logpipe_records_at_risk", "logpipe_channel_records", "logpipe_channel_capacity_records",
                "logpipe_connections_active", "logpipe_connections_refused_total", "logpipe_backpressure_pauses_total",
                "logpipe_writer_batch_records", "logpipe_writer_batch_bytes", "logpipe_sync_duration_seconds",
                "logpipe_syncs_total", "logpipe_send_to_durable_seconds", "logpipe_segment_current",
                "logpipe_segment_rolls_total", "logpipe_retention_deleted_segments_total",
                "logpipe_retention_deleted_bytes_total", "logpipe_sink_errors_total", "logpipe_start_time_seconds",
                "logpipe_truncated_records_total", "logpipe_lost_records_total", "logpipe_connections_accepted_total",
                "logpipe_connections_idle_closed_total", "logpipe_tls_failures_total", "logpipe_records_in_flight",
                "logpipe_journal_writable", "logpipe_journal_paused_seconds_total", "logpipe_journal_pauses_total")) {
            assertTrue(typed.contains(family), "no # TYPE for " + family + " in\n" + r.body());
        }
        assertEquals(7.0, samples.get("logpipe_received_records_total{format=\"json\"}"));
        assertEquals(150.0, samples.get("logpipe_received_bytes_total{format=\"syslog_5424\"}"));
        assertEquals(3.0, samples.get("logpipe_rejected_records_total{reason=\"invalid_json\"}"));
        assertEquals(9.0, samples.get("logpipe_written_records_total"));
        assertEquals(6.0, samples.get("logpipe_durable_records_total"));
        assertEquals(3.0, samples.get("logpipe_records_at_risk"));
        assertEquals(1.0, samples.get("logpipe_channel_records"));
        assertEquals(2.0, samples.get("logpipe_connections_active"));
        assertEquals(100.0, samples.get("logpipe_channel_capacity_records"));
        assertEquals(4.0, samples.get("logpipe_connections_refused_total"));
        assertEquals(1.0, samples.get("logpipe_connections_idle_closed_total"));
        assertEquals(1.0, samples.get("logpipe_syncs_total"));
        assertEquals(3.0, samples.get("logpipe_segment_rolls_total"), "2 rolls and the first segment");
        assertEquals(0.0, samples.get("logpipe_retention_deleted_segments_total{forced=\"true\"}"));
        assertEquals(1.0, samples.get("logpipe_sink_errors_total"));
        assertEquals(4.0, samples.get("logpipe_backpressure_pauses_total"));
        assertEquals(3.0, samples.get("logpipe_memory_pauses_total"));
        assertEquals(1.0, samples.get("logpipe_writer_batch_records_count"));
        assertEquals(1.0, samples.get("logpipe_sync_duration_seconds_bucket{le=\"0.0025\"}"));
        assertEquals(0.0, samples.get("logpipe_sync_duration_seconds_bucket{le=\"0.001\"}"));
        assertEquals(1.0, samples.get("logpipe_send_to_durable_seconds_bucket{le=\"0.05\"}"));
        assertEquals(0.0, samples.get("logpipe_send_to_durable_seconds_bucket{le=\"0.025\"}"));
        assertEquals(1.0, samples.get("logpipe_segment_current{segment=\"20261125-17\"}"));
        assertEquals(1.0, samples.get("logpipe_retention_deleted_segments_total{forced=\"false\"}"));
        assertEquals(4096.0, samples.get("logpipe_retention_deleted_bytes_total"));
        assertEquals(1.0, samples.get("logpipe_truncated_records_total{format=\"json\"}"));
        assertEquals(5.0, samples.get("logpipe_connections_accepted_total"));
        assertEquals(4.0, samples.get("logpipe_lost_records_total{reason=\"drain_timeout\"}"));
        assertEquals(0.0, samples.get("logpipe_lost_records_total{reason=\"journal_failure\"}"), "every reason has a sample");
        assertEquals(3.0, samples.get("logpipe_records_in_flight"));
        assertEquals(0.0, samples.get("logpipe_journal_writable"));
        assertEquals(1.5, samples.get("logpipe_journal_paused_seconds_total"));
        assertEquals(2.0, samples.get("logpipe_journal_pauses_total"));
    }

    @Test
    void metricsNameFilterServesOnlyTheNamedFamilies() throws Exception {
        metrics.onSync(2_000_000);
        // name[] URL-encoded as a client sends it; one name with its _total suffix, one without
        HttpResponse<String> r = get("/metrics?name%5B%5D=logpipe_durable_records_total&name%5B%5D=logpipe_sync_duration_seconds");
        assertEquals(200, r.statusCode());
        Set<String> families = new HashSet<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("# TYPE ")) {
                families.add(line.split(" ")[2]);
            } else if (!line.startsWith("#") && !line.isEmpty()) {
                assertTrue(SAMPLE.matcher(line).matches(), "not a Prometheus sample line: " + line);
            }
        }
        assertEquals(Set.of("logpipe_durable_records_total", "logpipe_sync_duration_seconds"), families, r.body());
        assertTrue(r.body().contains("logpipe_durable_records_total 0\n") || r.body().contains("logpipe_durable_records_total 0.0\n"),
                r.body());
        assertTrue(r.body().contains("logpipe_sync_duration_seconds_count 1"), r.body());

        HttpResponse<String> none = get("/metrics?name[]=no_such_metric");
        assertEquals(200, none.statusCode());
        assertEquals("", none.body());
        assertTrue(get("/metrics?other=1").body().contains("# TYPE logpipe_syncs_total counter"), "no name[], every metric");
    }

    @Test
    void readyFollowsTheReadinessCheckWhileHealthStays200() throws Exception {
        AtomicReference<String> journal = new AtomicReference<>("ready");
        server.readiness(journal::get);
        server.ready(true);
        assertEquals(200, get("/ready").statusCode());
        journal.set("paused");
        HttpResponse<String> paused = get("/ready");
        assertEquals(503, paused.statusCode());
        assertEquals("paused\n", paused.body());
        assertFalse(server.isReady());
        assertEquals(200, get("/health").statusCode(), "the process still works: liveness stays 200");
        journal.set("ready");
        assertEquals(200, get("/ready").statusCode(), "ready again once the journal is writable");
        journal.set("failed");
        assertEquals("failed\n", get("/ready").body());
        server.ready(false, "draining");
        assertEquals("draining\n", get("/ready").body(), "draining wins over the check");
    }

    @Test
    void statsIsJsonWithLatencyPercentiles() throws Exception {
        SinkStats sink = new SinkStats(5, 500, 1, 4, 4, 1, 0, 1_000_000, 1_000_000, 1_000_000, 0, 0, 0, 0, 0,
                null, JournalState.WRITABLE, 0, 0, 0, 0, 5, 0, 0);
        snapshot.set(new PipelineStats(LogPipeline.State.RUNNING, Map.of(SourceFormat.TEXT, 5L),
                Map.of(SourceFormat.TEXT, 50L), Map.of(), Map.of(), sink, 4, 0, 100, 1, 1, 0, 0, 0, 0, 0, 0, "seg",
                Map.of(), 0));
        metrics.onDurable(0, 40_000_000L);
        server.ready(true);
        HttpResponse<String> r = get("/stats");
        assertEquals(200, r.statusCode());
        JsonNode n = new ObjectMapper().readTree(r.body());
        assertTrue(n.get("ready").asBoolean());
        assertEquals(5, n.get("received_records").get("text").asLong());
        assertEquals(5, n.get("durable_records").asLong());
        assertEquals(1, n.get("send_to_durable_seconds").get("count").asLong());
        assertEquals(0.040, n.get("send_to_durable_seconds").get("p99").asDouble(), 0.001);
    }

    @Test
    void unknownPathIs404AndPostIs405AndHeadHasNoBody() throws Exception {
        HttpResponse<String> r = get("/nope");
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains("/metrics"));
        URI u = URI.create("http://127.0.0.1:" + server.address().getPort() + "/health");
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(u).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
        HttpResponse<String> head = http.send(HttpRequest.newBuilder(u).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
    }

    /** Sends {@code request} raw and returns the status line of the answer. */
    private String rawStatusLine(byte[] request) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.address().getPort())) {
            s.setSoTimeout(10_000);
            try {
                s.getOutputStream().write(request);
            } catch (java.io.IOException e) {
                // the server may answer and close before it has read all of it
            }
            java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(s.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
            return in.readLine();
        }
    }

    @Test
    void aRequestNettyCannotDecodeIsAnsweredWithItsErrorNotWithThePathItRead() throws Exception {
        // before, a GET /metrics whose headers were too long was answered 200 with the metrics
        byte[] longHeader = ("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(64 * 1024) + "\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals("HTTP/1.1 431 Request Header Fields Too Large", rawStatusLine(longHeader));
        byte[] longLine = ("GET /metrics?" + "a".repeat(64 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals("HTTP/1.1 414 Request-URI Too Long", rawStatusLine(longLine));
        assertEquals(200, get("/health").statusCode(), "the server goes on");
    }

    @Test
    void takenPortSaysToPassAdminPort() {
        BindException e = assertThrows(BindException.class,
                () -> AdminServer.start("127.0.0.1", server.address().getPort(), metrics).close());
        assertEquals("admin port " + server.address().getPort() + " on 127.0.0.1 is in use; pass --admin-port", e.getMessage());
        assertFalse(server.isReady());
    }
}
