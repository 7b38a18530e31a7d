package dev.logpipe.otlp;

import dev.logpipe.collector.AckStats;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.PipelineStats;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.SourceFormat;
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
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.logs.LogRecordProcessor;
import io.opentelemetry.sdk.logs.ReadWriteLogRecord;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.resources.Resource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.logpipe.otlp.OtlpTestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenTelemetry Java SDK's OTLP/HTTP log exporter (protobuf, on the JDK HttpClient) against the
 * receiver: every exported record is in the journal with the mapping applied, and an export is
 * reported successful only once its records are durable.
 */
@Timeout(60)
class OtlpExporterTest {

    static final String TRACE_ID = "5b8efff798038103d269b633813fc60c";
    static final String SPAN_ID = "eee19b7ec3c1b174";

    @TempDir
    Path dir;

    /** Collects what loggers emit, so a test exports chosen batches itself and sees each result. */
    static final class Collecting implements LogRecordProcessor {
        final List<LogRecordData> records = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onEmit(Context context, ReadWriteLogRecord logRecord) {
            records.add(logRecord.toLogRecordData());
        }
    }

    /** {@code n} records from service {@code checkout} on host {@code web-1}, messages {@code prefix i}. */
    static List<LogRecordData> records(String prefix, int n) {
        Collecting c = new Collecting();
        try (SdkLoggerProvider provider = SdkLoggerProvider.builder()
                .setResource(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), "checkout",
                        AttributeKey.stringKey("host.name"), "web-1",
                        AttributeKey.stringKey("deployment.environment"), "test")))
                .addLogRecordProcessor(c)
                .build()) {
            Logger logger = provider.get("dev.logpipe.test");
            Context ctx = Context.root().with(Span.wrap(SpanContext.create(TRACE_ID, SPAN_ID, TraceFlags.getSampled(),
                    TraceState.getDefault())));
            for (int i = 0; i < n; i++) {
                logger.logRecordBuilder()
                        .setTimestamp(Instant.ofEpochSecond(1_700_000_000L, i))
                        .setSeverity(i % 2 == 0 ? Severity.WARN : Severity.ERROR3)
                        .setSeverityText(i % 2 == 0 ? "WARN" : "ERROR")
                        .setBody(prefix + " " + i)
                        .setAttribute(AttributeKey.longKey("order"), (long) i)
                        .setAttribute(AttributeKey.stringKey("customer"), "c-42")
                        .setContext(ctx)
                        .emit();
            }
        }
        return new ArrayList<>(c.records);
    }

    static OtlpHttpLogRecordExporter exporter(InetSocketAddress addr, String compression) {
        return builder(addr, compression).build();
    }

    private static io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporterBuilder builder(InetSocketAddress addr,
                                                                                                  String compression) {
        return OtlpHttpLogRecordExporter.builder()
                .setEndpoint("http://127.0.0.1:" + addr.getPort() + "/v1/logs")
                .setCompression(compression)
                .setTimeout(Duration.ofSeconds(20))
                .setRetryPolicy(RetryPolicy.builder().setMaxAttempts(5).setInitialBackoff(Duration.ofMillis(50))
                        .setMaxBackoff(Duration.ofMillis(200)).setBackoffMultiplier(1.5).build());
    }

    @Test
    void exportedBatchesAreAnsweredOnlyOnceDurableAndStoredWithTheMapping() throws Exception {
        OtlpReceiver otlp = OtlpReceiver.builder().port(0).build();
        List<ReadRecord> journal;
        int total = 512 + 88;
        try (LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(100)).receiver(otlp).start();
             OtlpHttpLogRecordExporter exporter = exporter(otlp.localAddress(), "none")) {
            List<LogRecordData> all = records("order placed", total);
            long stored = 0;
            for (List<LogRecordData> batch : List.of(all.subList(0, 512), all.subList(512, total))) {
                CompletableResultCode r = exporter.export(batch).join(30, TimeUnit.SECONDS);
                assertTrue(r.isSuccess(), "export failed: " + r.getFailureThrowable());
                stored += batch.size();
                // answered 200 only once durable: the durable watermark already covers the batch
                assertTrue(p.durableIndex() >= stored - 1, "answered before durable: durable index "
                        + p.durableIndex() + ", records sent " + stored);
            }
            PipelineStats s = p.stats();
            assertEquals(total, s.receivedRecords().get(SourceFormat.OTLP));
            AckStats acks = p.ackStats();
            assertEquals(2L, acks.received().get("otlp"));
            assertEquals(2, acks.acksSent());
            assertEquals(0, acks.acksPending());
            assertEquals(2, otlp.stats().responses(200));
            assertEquals(total, otlp.stats().records());
        }
        journal = readJournal(dir);
        assertEquals(total, journal.size());
        for (int i = 0; i < total; i++) {
            LogRecord r = journal.get(i).record();
            assertEquals("order placed " + i, r.message(), "order kept, nothing lost or duplicated");
            assertEquals(SourceFormat.OTLP, r.format());
            assertEquals("checkout", r.service());
            assertEquals("web-1", r.host());
            assertEquals(i % 2 == 0 ? Level.WARN : Level.ERROR, r.level());
            assertEquals(1_700_000_000_000_000_000L + i, r.eventTimeNanos());
            assertTrue(r.source().startsWith("http:127.0.0.1:"), r.source());
            assertEquals(FieldValue.json(Long.toString(i)), r.fields().get("order"));
            assertEquals(FieldValue.string("c-42"), r.fields().get("customer"));
            assertEquals(FieldValue.string(TRACE_ID), r.fields().get("trace_id"));
            assertEquals(FieldValue.string(SPAN_ID), r.fields().get("span_id"));
            assertEquals(FieldValue.json("1"), r.fields().get("trace_flags"));
            assertEquals(FieldValue.string("dev.logpipe.test"), r.fields().get("scope.name"));
            assertEquals(FieldValue.string("test"), r.fields().get("resource.deployment.environment"));
            // ERROR3 (19) is finer than the level: its number is kept; the texts say no more than the level
            assertEquals(i % 2 == 0 ? null : FieldValue.json("19"), r.fields().get("severity_number"));
            assertEquals(null, r.fields().get("severity_text"));
        }
    }

    @Test
    void gzipExportsFromManyThreadsAreStoredOnceEachInPerThreadOrder() throws Exception {
        OtlpReceiver otlp = OtlpReceiver.builder().port(0).build();
        int threads = 4;
        int batches = 5;
        int perBatch = 200;
        // The SDK's JDK sender runs each export on a pool of at most 5 threads with no queue: a thread still
        // finishing one export counts, so 4 threads exporting back to back were now and then refused
        // (RejectedExecutionException, "export failed") before any byte was sent. An application exports
        // through a batch processor, one export at a time; this test gives the exporter a pool that grows.
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newCachedThreadPool();
        try (LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(100)).receiver(otlp).start();
             OtlpHttpLogRecordExporter exporter = builder(otlp.localAddress(), "gzip").setExecutorService(pool).build()) {
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < threads; t++) {
                List<LogRecordData> mine = records("t" + t, batches * perBatch);
                Thread w = new Thread(() -> {
                    for (int b = 0; b < batches; b++) {
                        CompletableResultCode r = exporter.export(mine.subList(b * perBatch, (b + 1) * perBatch))
                                .join(30, TimeUnit.SECONDS);
                        if (!r.isSuccess()) {
                            failures.add(new AssertionError("export failed", r.getFailureThrowable()));
                            return;
                        }
                    }
                });
                w.start();
                workers.add(w);
            }
            for (Thread w : workers) {
                w.join(30_000);
            }
            assertEquals(List.of(), failures);
            assertTrue(p.stats().receivedBytes().get(SourceFormat.OTLP) > 0);
        } finally {
            pool.shutdownNow(); // a pool given to the exporter is the giver's to close
        }
        int[] next = new int[threads];
        Set<String> seen = new HashSet<>();
        for (ReadRecord rr : readJournal(dir)) {
            String[] parts = rr.record().message().split(" ");
            int t = Integer.parseInt(parts[0].substring(1));
            assertTrue(seen.add(rr.record().message()), "duplicate " + rr.record().message());
            assertEquals(next[t], Integer.parseInt(parts[1]), "thread " + t + ": lost or out of order");
            next[t]++;
        }
        for (int t = 0; t < threads; t++) {
            assertEquals(batches * perBatch, next[t]);
        }
    }
}
