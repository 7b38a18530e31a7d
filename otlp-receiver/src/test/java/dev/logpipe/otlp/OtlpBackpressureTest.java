package dev.logpipe.otlp;

import dev.logpipe.channels.SendResult;
import dev.logpipe.collector.Emitter;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.PipelineStats;
import dev.logpipe.filesink.JournalState;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.testsupport.Conditions;
import dev.logpipe.testsupport.FakeFileStore;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.logpipe.otlp.OtlpTestSupport.logsUri;
import static dev.logpipe.otlp.OtlpTestSupport.post;
import static dev.logpipe.otlp.OtlpTestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backpressure: a full channel is answered 429 with Retry-After and nothing of the request taken
 * (the SDK exporter retries it to success once the journal takes records again), the requests in
 * flight are bounded, and a graceful shutdown answers the requests it holds.
 */
@Timeout(60)
class OtlpBackpressureTest {

    private static final long GIB = 1L << 30;
    private static final long RESERVE = 1L << 20;

    @TempDir
    Path dir;

    /** A pipeline whose journal pauses while {@code store} says the disk is full, with a small channel. */
    private LogPipeline.Builder pipeline(FakeFileStore store, OtlpReceiver otlp) {
        return LogPipeline.builder(dir)
                .syncInterval(Duration.ofMillis(20))
                .channelCapacityRecords(64)
                .channelCapacityBytes(64 * 1024)
                .journalFileStore(store)
                .journalMinFreeBytes(RESERVE)
                .journalSpaceCheckInterval(Duration.ofMillis(5))
                .drainTimeout(Duration.ofSeconds(10))
                .receiver(otlp);
    }

    /**
     * Pauses the journal of {@code p}, which had plenty of space: from now on records are taken but not
     * stored. The writer reads the free space when it takes records, at most once per 100 ms while there
     * was plenty: nudged with a record per poll until one batch reads it (each nudge is counted).
     */
    private static void pause(LogPipeline p, FakeFileStore store, AtomicInteger nudges) {
        store.usable(0);
        Emitter nudger = p.emitter("nudge");
        Conditions.await(Duration.ofSeconds(10), "the journal to pause", () -> {
            if (p.journalState() == JournalState.PAUSED) {
                return true;
            }
            if (nudger.tryEmit(LogRecord.builder().message("nudge").build()) instanceof SendResult.Sent<LogRecord>) {
                nudges.incrementAndGet();
            }
            return false;
        });
    }

    private static CompletableFuture<HttpResponse<byte[]>> postAsync(OtlpReceiver otlp, byte[] body) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return post(logsUri(otlp.localAddress()), "application/x-protobuf", null, body);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static byte[] request(String prefix, int n) {
        ScopeLogs.Builder sl = ScopeLogs.newBuilder();
        for (int i = 0; i < n; i++) {
            sl.addLogRecords(io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                    .setBody(AnyValue.newBuilder().setStringValue(prefix + " " + i)));
        }
        return ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(sl))
                .build().toByteArray();
    }

    @Test
    void aFullChannelIsAnswered429AndTheExporterRetriesToSuccessOnceTheJournalResumes() throws Exception {
        FakeFileStore store = new FakeFileStore(0); // the journal pauses at once
        OtlpReceiver otlp = OtlpReceiver.builder().port(0).build();
        int fillers = 0;
        int exported = 100;
        try (LogPipeline p = pipeline(store, otlp).start();
             OtlpHttpLogRecordExporter exporter = OtlpExporterTest.exporter(otlp.localAddress(), "none")) {
            Emitter filler = p.emitter("filler");
            while (fillers < 10_000 && filler.tryEmit(LogRecord.builder().message("filler " + fillers).build()).isSent()) {
                fillers++;
            }
            assertTrue(fillers < 10_000, "the channel fills while the journal is paused");
            Conditions.await(Duration.ofSeconds(10), "the journal to pause", () -> p.journalState() == JournalState.PAUSED);

            // a raw request: 429, Retry-After, nothing taken
            HttpResponse<byte[]> raw = post(logsUri(otlp.localAddress()), "application/x-protobuf", null, request("raw", 3));
            assertEquals(429, raw.statusCode());
            assertEquals("1", raw.headers().firstValue("Retry-After").orElse(""));
            assertEquals(0L, p.stats().receivedRecords().get(SourceFormat.OTLP));

            List<LogRecordData> records = OtlpExporterTest.records("exported", exported);
            CompletableResultCode result = exporter.export(records);
            Conditions.await(Duration.ofSeconds(10), "the exporter to be answered 429", () -> otlp.stats().throttled() >= 2);
            assertFalse(result.isDone(), "the exporter retries a 429");
            assertEquals(0L, p.stats().receivedRecords().get(SourceFormat.OTLP), "a 429 takes nothing");

            store.usable(GIB);
            result.join(30, TimeUnit.SECONDS);
            assertTrue(result.isSuccess(), "export failed: " + result.getFailureThrowable());
            assertEquals(1, otlp.stats().responses(200));
            PipelineStats s = p.stats();
            assertEquals((long) exported, s.receivedRecords().get(SourceFormat.OTLP));
        }
        List<String> otlpMessages = new ArrayList<>();
        int fillersStored = 0;
        for (ReadRecord rr : readJournal(dir)) {
            if (rr.record().format() == SourceFormat.OTLP) {
                otlpMessages.add(rr.record().message());
            } else {
                fillersStored++;
            }
        }
        assertEquals(fillers, fillersStored);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < exported; i++) {
            expected.add("exported " + i);
        }
        assertEquals(expected, otlpMessages, "stored once each, in order: the 429s took nothing");
    }

    @Test
    void requestsBeyondTheInFlightBoundAre429AndAShutdownAnswersTheOnesItHolds() throws Exception {
        FakeFileStore store = new FakeFileStore(GIB);
        AtomicInteger nudges = new AtomicInteger();
        OtlpReceiver otlp = OtlpReceiver.builder().port(0).maxRequestsInFlight(2).build();
        LogPipeline p = pipeline(store, otlp).start();
        try {
            // one record written, then the journal pauses: what comes next is taken but not stored
            assertEquals(200, post(logsUri(otlp.localAddress()), "application/x-protobuf", null, request("first", 1)).statusCode());
            pause(p, store, nudges);

            List<CompletableFuture<HttpResponse<byte[]>>> held = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String prefix = "held" + i;
                held.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return post(logsUri(otlp.localAddress()), "application/x-protobuf", null, request(prefix, 2));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            Conditions.await(Duration.ofSeconds(10), "two requests in flight", () -> otlp.stats().requestsInFlight() == 2);
            HttpResponse<byte[]> third = post(logsUri(otlp.localAddress()), "application/x-protobuf", null, request("third", 1));
            assertEquals(429, third.statusCode(), "the bound on requests in flight");
            assertFalse(held.get(0).isDone() || held.get(1).isDone(), "not answered before stored");

            CompletableFuture<Void> closed = CompletableFuture.runAsync(p::close);
            Conditions.await(Duration.ofSeconds(10), "the shutdown to begin", () -> p.state() == LogPipeline.State.DRAINING);
            assertFalse(held.get(0).isDone() || held.get(1).isDone(), "still waiting for their records");
            store.usable(GIB);
            for (CompletableFuture<HttpResponse<byte[]>> h : held) {
                assertEquals(200, h.get(20, TimeUnit.SECONDS).statusCode(), "answered during the drain, once stored");
            }
            closed.get(20, TimeUnit.SECONDS);
        } finally {
            p.close();
        }
        List<String> messages = readJournal(dir).stream().map(rr -> rr.record().message()).toList();
        assertTrue(messages.containsAll(List.of("first 0", "held0 0", "held0 1", "held1 0", "held1 1")), messages.toString());
        assertFalse(messages.contains("third 0"));
        assertEquals(5 + nudges.get(), messages.size(), messages.toString());
        assertEquals(nudges.get(), messages.stream().filter("nudge"::equals).count(), "every nudge stored once");
        assertEquals(0, otlp.stats().requestsInFlight());
    }

    @Test
    void theBodyBytesInFlightAreBoundedAndOneRequestAloneMayHoldMore() throws Exception {
        byte[] a = request("a", 20); // records within the channel's 64 (more would fill it: a 429 of its own)
        byte[] small = request("c", 1);
        // a gzip body is counted as four times its size until inflated: this one inflates a hundredfold
        ScopeLogs.Builder padded = ScopeLogs.newBuilder();
        for (int i = 0; i < 60; i++) {
            padded.addLogRecords(io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                    .setBody(AnyValue.newBuilder().setStringValue("g " + "x".repeat(500))));
        }
        byte[] inflates = ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
                .addScopeLogs(padded)).build().toByteArray();
        byte[] zipped = OtlpTestSupport.gzip(inflates);
        long budget = a.length + Math.max(small.length, 4L * zipped.length);
        assertTrue(inflates.length > 2 * budget, "inflates past twice the bound");
        FakeFileStore store = new FakeFileStore(GIB);
        AtomicInteger nudges = new AtomicInteger();
        OtlpReceiver otlp = OtlpReceiver.builder().port(0).maxBytesInFlight(budget).build();
        LogPipeline p = pipeline(store, otlp).start();
        try {
            pause(p, store, nudges);
            CompletableFuture<HttpResponse<byte[]>> heldA = postAsync(otlp, a);
            Conditions.await(Duration.ofSeconds(10), "a held", () -> otlp.stats().bytesInFlight() == a.length);

            byte[] b = request("b" + "-".repeat(30), 60);
            assertTrue(b.length > budget - a.length);
            HttpResponse<byte[]> declared = post(logsUri(otlp.localAddress()), "application/x-protobuf", null, b);
            assertEquals(429, declared.statusCode(), "its declared length does not fit beside a");
            assertEquals("1", declared.headers().firstValue("Retry-After").orElse(""));
            HttpResponse<byte[]> chunked = OtlpTestSupport.postChunked(logsUri(otlp.localAddress()), b);
            assertEquals(429, chunked.statusCode(), "refused once it outgrew the room");
            HttpResponse<byte[]> inflated = post(logsUri(otlp.localAddress()), "application/x-protobuf", "gzip", zipped);
            assertEquals(429, inflated.statusCode(), "admitted by its estimate, refused once inflated");
            assertEquals(a.length, otlp.stats().bytesInFlight(), "the refused ones hold nothing");

            CompletableFuture<HttpResponse<byte[]>> heldC = postAsync(otlp, small);
            Conditions.await(Duration.ofSeconds(10), "c held beside a", () -> otlp.stats().requestsInFlight() == 2);
            assertEquals(a.length + small.length, otlp.stats().bytesInFlight());

            store.usable(GIB);
            assertEquals(200, heldA.get(20, TimeUnit.SECONDS).statusCode());
            assertEquals(200, heldC.get(20, TimeUnit.SECONDS).statusCode());
            Conditions.await(Duration.ofSeconds(10), "nothing held", () -> otlp.stats().bytesInFlight() == 0);

            byte[] big = request("d", 100);
            assertTrue(big.length > budget);
            assertEquals(200, post(logsUri(otlp.localAddress()), "application/x-protobuf", null, big).statusCode(),
                    "alone, a request may hold more than the bound");
            assertEquals(200, OtlpTestSupport.postChunked(logsUri(otlp.localAddress()), big).statusCode(),
                    "chunked too");
            assertEquals(0, otlp.stats().bytesInFlight());
            assertEquals(0, otlp.stats().requestsInFlight());
        } finally {
            p.close();
        }
        List<String> messages = readJournal(dir).stream().map(rr -> rr.record().message())
                .filter(m -> !m.equals("nudge")).toList();
        assertEquals(20 + 1 + 200, messages.size());
        assertFalse(messages.stream().anyMatch(m -> m.startsWith("b-") || m.startsWith("g ")), "a 429 takes nothing");
    }
}
