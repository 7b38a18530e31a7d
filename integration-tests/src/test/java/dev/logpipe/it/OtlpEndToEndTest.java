package dev.logpipe.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logpipe.it.support.ChildJvm;
import dev.logpipe.it.support.ServeProcess;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.resources.Resource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: a real {@code logpipe serve --otlp-port 0} child process, the OpenTelemetry Java SDK
 * logging through its batch processor and OTLP/HTTP exporter, then {@code logpipe tail --format json}
 * shows the records with service, host, level, message, attributes and ids as mapped; /metrics and
 * {@code logpipe stats} show the receiver's counters.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OtlpEndToEndTest {

    private static final Pattern OTLP = Pattern.compile("otlp\\s+http://[^\\s]*:(\\d+)/v1/logs");
    private static final String TRACE_ID = "5b8efff798038103d269b633813fc60c";
    private static final String SPAN_ID = "eee19b7ec3c1b174";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void recordsFromTheSdkExporterComeOutOfTailWithTheMapping() throws Exception {
        Path data = dir.resolve("data");
        int n = 700; // more than one batch of 512
        try (ServeProcess serve = ServeProcess.start(data, dir, "serve", List.of("-Xmx256m"), "--otlp-port", "0")) {
            Matcher m = OTLP.matcher(serve.stdout());
            assertTrue(m.find(), "the startup block names the OTLP port:\n" + serve.stdout());
            int port = Integer.parseInt(m.group(1));

            OtlpHttpLogRecordExporter exporter = OtlpHttpLogRecordExporter.builder()
                    .setEndpoint("http://127.0.0.1:" + port + "/v1/logs").setTimeout(Duration.ofSeconds(30)).build();
            SdkLoggerProvider provider = SdkLoggerProvider.builder()
                    .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                            AttributeKey.stringKey("service.name"), "checkout",
                            AttributeKey.stringKey("host.name"), "web-7"))))
                    .addLogRecordProcessor(BatchLogRecordProcessor.builder(exporter).setMaxExportBatchSize(512).build())
                    .build();
            try {
                Logger logger = provider.get("dev.logpipe.it");
                Context ctx = Context.root().with(Span.wrap(SpanContext.create(TRACE_ID, SPAN_ID,
                        TraceFlags.getSampled(), TraceState.getDefault())));
                for (int i = 0; i < n; i++) {
                    logger.logRecordBuilder()
                            .setTimestamp(Instant.ofEpochSecond(1_700_000_000L, i))
                            .setSeverity(Severity.WARN)
                            .setBody("card declined " + i)
                            .setAttribute(AttributeKey.stringKey("customer"), "c-42")
                            .setAttribute(AttributeKey.longKey("attempt"), (long) i)
                            .setContext(ctx)
                            .emit();
                }
                assertTrue(provider.forceFlush().join(60, TimeUnit.SECONDS).isSuccess(), "flush: " + serve.output());
            } finally {
                provider.shutdown().join(30, TimeUnit.SECONDS);
            }
            // every export was answered 200, so every record is durable already
            assertEquals(n, serve.metric("logpipe_received_records_total{format=\"otlp\"}"), serve.get("/metrics").body());
            assertTrue(serve.metric("logpipe_otlp_responses_total{status=\"200\"}") >= 2);
            assertEquals(0, serve.metric("logpipe_otlp_requests_in_flight"));

            ChildJvm.Result stats = ChildJvm.run(dir.resolve("cli"), Duration.ofSeconds(60), null,
                    "stats", "--admin-port", Integer.toString(serve.adminPort()));
            assertEquals(0, stats.exitCode(), stats.toString());
            assertTrue(stats.stdout().lines().anyMatch(l -> l.trim().startsWith("otlp") && l.contains(String.format("%,d", n))),
                    stats.stdout());
        }

        ChildJvm.Result tail = ChildJvm.run(dir.resolve("cli"), Duration.ofSeconds(60), null,
                "tail", "--data", data.toString(), "--from-start", "--format", "json");
        assertEquals(0, tail.exitCode(), tail.toString());
        List<JsonNode> records = new ArrayList<>();
        for (String line : tail.lines()) {
            records.add(JSON.readTree(line));
        }
        assertEquals(n, records.size(), tail.stdout());
        for (int i = 0; i < n; i++) {
            JsonNode r = records.get(i);
            assertEquals("card declined " + i, r.get("message").asText(), "in order, once each");
            assertEquals("checkout", r.get("service").asText());
            assertEquals("web-7", r.get("host").asText());
            assertEquals("WARN", r.get("level").asText());
            assertEquals("OTLP", r.get("format").asText());
            assertEquals(Instant.ofEpochSecond(1_700_000_000L, i).toString(), r.get("time").asText());
            assertTrue(r.get("source").asText().startsWith("http:127.0.0.1:"), r.toString());
            JsonNode f = r.get("fields");
            assertEquals("c-42", f.get("customer").asText());
            assertEquals(i, f.get("attempt").asLong());
            assertTrue(f.get("attempt").isNumber(), "a long attribute stays a number: " + f);
            assertEquals(TRACE_ID, f.get("trace_id").asText());
            assertEquals(SPAN_ID, f.get("span_id").asText());
            assertEquals("dev.logpipe.it", f.get("scope.name").asText());
            assertEquals("java", f.get("resource.telemetry.sdk.language").asText());
        }
    }

    @Test
    void aBusyOtlpPortIsNamed() throws Exception {
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            ChildJvm.Result r = ChildJvm.run(dir.resolve("cli"), Duration.ofSeconds(60), null, "serve",
                    "--data", dir.resolve("data2").toString(), "--port", "0", "--admin-port", "0",
                    "--otlp-port", Integer.toString(busy.getLocalPort()));
            assertEquals(2, r.exitCode(), r.toString());
            assertTrue(r.stderr().contains("OTLP port " + busy.getLocalPort() + " on 127.0.0.1 is in use; pass --otlp-port"),
                    r.toString());
        }
    }
}
