package dev.logpipe.bench;

import com.google.protobuf.ByteString;
import dev.logpipe.collector.Durability;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.PipelineStats;
import dev.logpipe.otlp.OtlpReceiver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import org.HdrHistogram.Histogram;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

/**
 * Benchmark program of the OTLP/HTTP logs receiver: {@code --clients} clients each send
 * {@code --requests} {@code POST /v1/logs} requests of {@code --batch} records (protobuf, gzip with
 * {@code --gzip}), one at a time as an exporter does, to a pipeline with its {@link OtlpReceiver}
 * started in this JVM (or to {@code --url} of a running {@code logpipe serve}). It prints records/s from
 * the first request until the last answer (each 200 means durable, or written with {@code --level
 * written}), the request latency p50/p99/max, and how many requests were answered 429 and retried.
 *
 * <p>Bodies are built once, before the clock starts: each record ~200 bytes of body and attributes,
 * with a trace and span id, from one resource with {@code service.name} and {@code host.name}.
 *
 * <p>Usage: {@code java <chronicle flags> -cp benchmarks.jar dev.logpipe.bench.OtlpHttpBench
 * [--clients 4] [--requests 500] [--batch 512] [--sync 100ms|batch|never] [--level durable|written]
 * [--gzip] [--url http://127.0.0.1:4318/v1/logs] [--dir DIR]}.
 *
 * <p>Threading: a program; state confined to {@code main} and the client threads it starts.
 */
public final class OtlpHttpBench {

    private OtlpHttpBench() {
    }

    public static void main(String[] args) throws Exception {
        int clients = 4;
        int requests = 500;
        int batch = 512;
        String sync = "100ms";
        Durability level = Durability.DURABLE;
        boolean gzip = false;
        String url = null;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--sync" -> sync = args[++i];
                case "--level" -> level = Durability.valueOf(args[++i].toUpperCase(Locale.ROOT));
                case "--gzip" -> gzip = true;
                case "--url" -> url = args[++i];
                case "--dir" -> dir = Path.of(args[++i]);
                default -> {
                    System.err.println("OtlpHttpBench: unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        System.out.printf(Locale.ROOT, "# OtlpHttpBench clients=%d requests/client=%d batch=%d sync=%s level=%s gzip=%s target=%s cores=%d%n",
                clients, requests, batch, sync, level, gzip, url == null ? "in-process" : url,
                Runtime.getRuntime().availableProcessors());
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            byte[] b = body(batch, i);
            bodies.add(gzip ? gzip(b) : b);
        }
        System.out.printf(Locale.ROOT, "# body %d bytes per request (%d records)%n", bodies.get(0).length, batch);

        LogPipeline pipeline = null;
        Path data = null;
        if (url == null) {
            data = dir != null ? dir : Files.createTempDirectory("otlp-bench");
            OtlpReceiver otlp = OtlpReceiver.builder().port(0).ackLevel(level)
                    .maxRequestsInFlight(Math.max(16, clients)).build();
            LogPipeline.Builder pb = LogPipeline.builder(data).receiver(otlp);
            switch (sync) {
                case "batch" -> pb.syncEveryBatch();
                case "never" -> pb.syncNever();
                default -> pb.syncInterval(Duration.ofMillis(Long.parseLong(sync.replace("ms", ""))));
            }
            pipeline = pb.start();
            url = "http://127.0.0.1:" + otlp.localAddress().getPort() + "/v1/logs";
        }
        try {
            run(URI.create(url), clients, requests, batch, bodies, gzip);
            if (pipeline != null) {
                PipelineStats s = pipeline.stats();
                System.out.printf(Locale.ROOT, "# pipeline: received %d, written %d, durable index %d%n",
                        s.receivedTotal(), s.writtenRecords(), pipeline.durableIndex());
            }
        } finally {
            if (pipeline != null) {
                pipeline.close();
                if (dir == null) {
                    BenchFiles.deleteTree(data);
                }
            }
        }
    }

    private static void run(URI uri, int clients, int requests, int batch, List<byte[]> bodies, boolean gzip)
            throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        Histogram latency = new Histogram(Duration.ofMinutes(1).toNanos(), 3);
        AtomicLong throttled = new AtomicLong();
        AtomicInteger failures = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                Histogram mine = new Histogram(Duration.ofMinutes(1).toNanos(), 3);
                for (int r = 0; r < requests && failures.get() == 0; r++) {
                    byte[] body = bodies.get((client + r) % bodies.size());
                    HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                            .header("Content-Type", "application/x-protobuf")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
                    if (gzip) {
                        rb.header("Content-Encoding", "gzip");
                    }
                    HttpRequest req = rb.build();
                    long t0 = System.nanoTime();
                    try {
                        for (int attempt = 0; ; attempt++) {
                            HttpResponse<Void> resp = http.send(req, HttpResponse.BodyHandlers.discarding());
                            if (resp.statusCode() == 200) {
                                break;
                            }
                            if ((resp.statusCode() == 429 || resp.statusCode() == 503) && attempt < 100) {
                                throttled.incrementAndGet();
                                Thread.sleep(10 + ThreadLocalRandom.current().nextInt(10));
                                continue;
                            }
                            throw new IOException("HTTP " + resp.statusCode());
                        }
                    } catch (IOException e) {
                        System.err.println("OtlpHttpBench: request failed: " + e);
                        failures.incrementAndGet();
                        return;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    mine.recordValue(Math.min(System.nanoTime() - t0, mine.getHighestTrackableValue()));
                }
                synchronized (latency) {
                    latency.add(mine);
                }
            }, "otlp-bench-client-" + c);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long records = latency.getTotalCount() * batch;
        System.out.printf(Locale.ROOT, "%.0f records/s (%d records in %.2f s), request latency p50 %.1f ms, p99 %.1f ms,"
                        + " max %.1f ms, %d answered 429/503 and retried, %d failed%n",
                records / seconds, records, seconds, latency.getValueAtPercentile(50) / 1e6,
                latency.getValueAtPercentile(99) / 1e6, latency.getMaxValue() / 1e6, throttled.get(), failures.get());
        if (failures.get() > 0) {
            System.exit(1);
        }
    }

    private static byte[] body(int records, int seed) {
        ScopeLogs.Builder sl = ScopeLogs.newBuilder();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        long now = System.currentTimeMillis() * 1_000_000L;
        for (int i = 0; i < records; i++) {
            byte[] trace = new byte[16];
            byte[] span = new byte[8];
            rnd.nextBytes(trace);
            rnd.nextBytes(span);
            sl.addLogRecords(LogRecord.newBuilder()
                    .setTimeUnixNano(now + i)
                    .setSeverityNumberValue(9)
                    .setSeverityText("INFO")
                    .setBody(AnyValue.newBuilder().setStringValue("order " + seed + "-" + i
                            + " placed by customer c-" + rnd.nextInt(100_000) + " for 3 items, total 42.17 EUR"))
                    .addAttributes(kv("http.route", "/api/orders"))
                    .addAttributes(KeyValue.newBuilder().setKey("http.status_code")
                            .setValue(AnyValue.newBuilder().setIntValue(200)))
                    .addAttributes(kv("customer", "c-" + rnd.nextInt(100_000)))
                    .setTraceId(ByteString.copyFrom(trace))
                    .setSpanId(ByteString.copyFrom(span)));
        }
        return ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(kv("service.name", "checkout"))
                        .addAttributes(kv("host.name", "web-1")))
                .addScopeLogs(sl.setScope(io.opentelemetry.proto.common.v1.InstrumentationScope.newBuilder()
                        .setName("dev.logpipe.bench")))).build().toByteArray();
    }

    private static KeyValue kv(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }

    private static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
