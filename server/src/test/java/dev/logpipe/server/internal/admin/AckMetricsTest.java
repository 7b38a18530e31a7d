package dev.logpipe.server.internal.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logpipe.collector.AckStats;
import dev.logpipe.collector.internal.pipeline.AckCounters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class AckMetricsTest {

    private static String get(AdminServer server, String path) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void ackCountersAppearInMetricsAndStats() throws Exception {
        AckCounters c = new AckCounters();
        c.received("relp");
        c.received("relp");
        c.received("fluent");
        c.ackSent(TimeUnit.MILLISECONDS.toNanos(3)); // bucket le 5 ms
        c.ackSent(TimeUnit.MILLISECONDS.toNanos(3));
        c.ackSent(TimeUnit.MILLISECONDS.toNanos(40)); // bucket le 50 ms
        c.acksPending.set(4);
        c.error("relp_bad_length");
        AckStats stats = new AckStats(c.received(), c.acksSent.sum(), c.nacksSent.sum(), c.acksPending.get(),
                c.pressureSyncRequests.sum(), c.errors(), AckCounters.LATENCY_BOUNDS_MILLIS, c.latencyBuckets(),
                c.latencySumNanos());
        PipelineMetrics metrics = new PipelineMetrics(() -> null, 0);
        metrics.acks(() -> stats);
        AdminServer server = AdminServer.start("127.0.0.1", 0, metrics);
        try {
            String text = get(server, "/metrics");
            assertTrue(text.contains("logpipe_acks_sent_total 3"), text);
            assertTrue(text.contains("logpipe_acks_pending 4"), text);
            assertTrue(text.contains("logpipe_ack_messages_received_total{protocol=\"relp\"} 2"), text);
            assertTrue(text.contains("logpipe_ack_protocol_errors_total{reason=\"relp_bad_length\"} 1"), text);
            assertTrue(text.contains("logpipe_ack_latency_seconds_bucket{le=\"0.005\"} 2"), text);
            assertTrue(text.contains("logpipe_ack_latency_seconds_bucket{le=\"0.05\"} 3"), text);
            assertTrue(text.contains("logpipe_ack_latency_seconds_count 3"), text);

            JsonNode acks = new ObjectMapper().readTree(get(server, "/stats")).path("acks");
            assertEquals(3, acks.path("sent").asLong());
            assertEquals(4, acks.path("pending").asLong());
            assertEquals(0.005, acks.path("latency_p50_max_seconds").asDouble(), 1e-9);
            assertEquals(0.05, acks.path("latency_p99_max_seconds").asDouble(), 1e-9);
            assertEquals(Map.of("fluent", 1, "relp", 2), new ObjectMapper().convertValue(acks.path("received"), Map.class));
        } finally {
            server.close();
        }
    }
}
