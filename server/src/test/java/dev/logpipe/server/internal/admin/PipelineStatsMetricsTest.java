package dev.logpipe.server.internal.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logpipe.collector.Emitter;
import dev.logpipe.collector.ListenerConfig;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.LostReason;
import dev.logpipe.collector.PipelineStats;
import dev.logpipe.collector.RejectReason;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.testsupport.Conditions;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The metrics and {@code /stats} of a real pipeline show the numbers of its {@link PipelineStats}. */
@Timeout(60)
class PipelineStatsMetricsTest {

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*\\})?) (\\S+)");
    private static final int EMITTED = 40;

    @Test
    void aScrapeReadsThePipelinesStatsOnceForAllItsMetrics(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(20)).start()) {
            java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
            PipelineMetrics metrics = new PipelineMetrics(() -> {
                reads.incrementAndGet();
                return p.stats();
            }, 1234);
            int metricCount = metrics.scrape().size();
            assertEquals(1, reads.get(), "one snapshot for " + metricCount + " metrics");
            assertTrue(metricCount > 20, "the scrape has the pipeline's metrics: " + metricCount);
            reads.set(0);
            metrics.registry().scrape();
            assertTrue(reads.get() > 1, "scraped directly, the registry reads it per metric: " + reads.get());
        }
    }

    @Test
    void scrapedCountersEqualThePipelineStatsAfterRecordsAreIngested(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir)
                .syncInterval(Duration.ofMillis(20))
                .listener(ListenerConfig.builder().bindAddress("127.0.0.1").port(0).wireFormat(WireFormat.JSON).build())
                .start()) {
            PipelineMetrics metrics = new PipelineMetrics(p::stats, 1234);
            AdminServer admin = AdminServer.start("127.0.0.1", 0, metrics);
            try {
                Emitter log = p.emitter("test");
                for (int i = 0; i < EMITTED; i++) {
                    log.blockingEmit(LogRecord.builder().message("m" + i).build());
                }
                InetSocketAddress tcp = p.listenerAddresses().get(0);
                try (Socket s = new Socket(tcp.getAddress(), tcp.getPort())) {
                    OutputStream out = s.getOutputStream();
                    out.write("{\"message\":\"ok\"}\n{\"broken\":\n[1,2]\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Conditions.await(Duration.ofSeconds(20), "every record durable", () -> {
                        PipelineStats st = p.stats();
                        return st.receivedTotal() == EMITTED + 3 && st.durableRecords() == st.receivedTotal()
                                && st.rejectedTotal() == 2;
                    }, () -> p.stats().toString());
                }
                Conditions.await(Duration.ofSeconds(20), "the connection closed", () -> p.stats().activeConnections() == 0);

                PipelineStats before = p.stats();
                Map<String, Double> m = scrape(admin);
                JsonNode json = new ObjectMapper().readTree(get(admin, "/stats"));
                PipelineStats after = p.stats();
                assertEquals(before.writtenRecords(), after.writtenRecords(), "nothing moved while scraping");

                assertEquals(before.received(SourceFormat.EMBEDDED), n(m, "logpipe_received_records_total{format=\"embedded\"}"));
                assertEquals(before.received(SourceFormat.JSON), n(m, "logpipe_received_records_total{format=\"json\"}"));
                assertEquals((long) before.receivedBytes().get(SourceFormat.JSON), n(m, "logpipe_received_bytes_total{format=\"json\"}"));
                assertEquals(before.rejected(RejectReason.INVALID_JSON),
                        n(m, "logpipe_rejected_records_total{reason=\"invalid_json\"}"));
                assertEquals(before.rejected(RejectReason.NOT_AN_OBJECT),
                        n(m, "logpipe_rejected_records_total{reason=\"not_an_object\"}"));
                assertEquals(1L, before.rejected(RejectReason.INVALID_JSON));
                assertEquals(before.writtenRecords(), n(m, "logpipe_written_records_total"));
                assertEquals(EMITTED + 3, before.writtenRecords(), "rejected frames are stored raw by default");
                assertEquals(before.durableRecords(), n(m, "logpipe_durable_records_total"));
                assertEquals(0, n(m, "logpipe_records_at_risk"));
                assertEquals(before.lost(LostReason.JOURNAL_FAILURE), n(m, "logpipe_lost_records_total{reason=\"journal_failure\"}"));
                assertEquals(before.lost(LostReason.DRAIN_TIMEOUT), n(m, "logpipe_lost_records_total{reason=\"drain_timeout\"}"));
                assertEquals(before.inFlightRecords(), n(m, "logpipe_records_in_flight"));
                assertEquals(before.acceptedConnections(), n(m, "logpipe_connections_accepted_total"));
                assertEquals(1L, before.acceptedConnections());
                assertEquals(1234, n(m, "logpipe_channel_capacity_records"));
                assertEquals(1, n(m, "logpipe_journal_writable"));
                assertEquals(1, n(m, "logpipe_segment_current{segment=\"" + before.currentSegment() + "\"}"));
                assertEquals(before.sink().rolls() + 1, n(m, "logpipe_segment_rolls_total"), "the first segment counts");
                assertEquals(before.sink().errors(), n(m, "logpipe_sink_errors_total"));
                long syncs = n(m, "logpipe_syncs_total");
                assertTrue(before.sink().syncs() >= 1 && syncs >= before.sink().syncs() && syncs <= after.sink().syncs(),
                        syncs + " between " + before.sink().syncs() + " and " + after.sink().syncs());

                assertEquals(before.writtenRecords(), json.get("written_records").asLong());
                assertEquals(before.durableRecords(), json.get("durable_records").asLong());
                assertEquals(before.received(SourceFormat.EMBEDDED), json.get("received_records").get("embedded").asLong());
                assertEquals(1, json.get("rejected_records").get("invalid_json").asLong());
                assertEquals(before.currentSegment(), json.get("segment").asText());
                assertEquals("writable", json.get("journal").asText());
            } finally {
                admin.close();
            }
        }
    }

    /** The sample {@code key} as a whole number; fails if there is none. */
    private static long n(Map<String, Double> samples, String key) {
        Double v = samples.get(key);
        assertTrue(v != null, "no sample " + key + " in " + samples);
        assertEquals(Math.rint(v), v, key);
        return v.longValue();
    }

    private static Map<String, Double> scrape(AdminServer admin) throws Exception {
        Map<String, Double> samples = new HashMap<>();
        for (String line : get(admin, "/metrics").split("\n")) {
            if (line.startsWith("#") || line.isEmpty()) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), line);
            samples.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return samples;
    }

    private static String get(AdminServer admin, String path) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }
}
