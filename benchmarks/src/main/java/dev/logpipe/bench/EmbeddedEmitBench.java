package dev.logpipe.bench;

import dev.logpipe.collector.Durability;
import dev.logpipe.collector.Emitter;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.PipelineStats;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Benchmark program of the embedded API as an application uses it: {@code --threads} threads each
 * call {@link Emitter#emit(LogRecord, Durability)} {@code --records} times in a tight loop, keeping
 * every returned stage, then wait for all of them. It prints records/s from the first emit until the
 * last stage has completed (durable, or written with {@code --level written}), the JVM's peak heap
 * (sum of the heap pools' peak usage), the process's peak RSS ({@code VmHWM}), GC count and time,
 * and checks that every record got an index, no index twice, and each thread's indexes ascend (its
 * order kept). Run it under the heap an application would give it, e.g. {@code -Xmx256m}.
 *
 * <p>{@code --warmup-ms N} asks the pipeline for a JIT warm-up of up to N ms
 * ({@link LogPipeline.Builder#warmup}) before the first emit; the line then also shows how long
 * {@code start()} took. The rate is still timed from the first emit.
 *
 * <p>{@code -Dbench.threads=true} adds a line of CPU per record by thread from the first emit until the
 * last stage completed ({@link ThreadTicks}: the JIT's compiler threads, the journal writer, the
 * blocking pool, GC), the emitting threads' own CPU measured apart ({@code emitters=}, since they have
 * ended by then).
 *
 * <p>Usage: {@code java <chronicle flags> -Xmx256m -cp benchmarks.jar dev.logpipe.bench.EmbeddedEmitBench
 * [--threads 4] [--records 250000] [--sync 100ms|batch|never] [--level durable|written] [--dir DIR]
 * [--runs 1] [--channel-records N] [--channel-mib M] [--warmup-ms 0]} (the channel: LogPipeline's defaults unless given). Each run uses a fresh journal directory under {@code --dir} (default a temp dir),
 * deleted afterwards.
 *
 * <p>Threading: a program; state confined to {@code main} and the emitting threads it starts.
 */
public final class EmbeddedEmitBench {

    private static final boolean THREAD_REPORT = Boolean.getBoolean("bench.threads");

    private EmbeddedEmitBench() {
    }

    public static void main(String[] args) throws Exception {
        int threads = 4;
        int records = 250_000;
        String sync = "100ms";
        Durability level = Durability.DURABLE;
        Path base = null;
        int runs = 1;
        int channelRecords = 0;
        long channelMib = 0;
        Duration warmup = Duration.ZERO;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--records" -> records = Integer.parseInt(args[++i]);
                case "--sync" -> sync = args[++i];
                case "--level" -> level = Durability.valueOf(args[++i].toUpperCase(Locale.ROOT));
                case "--dir" -> base = Path.of(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--channel-records" -> channelRecords = Integer.parseInt(args[++i]);
                case "--channel-mib" -> channelMib = Long.parseLong(args[++i]);
                case "--warmup-ms" -> warmup = Duration.ofMillis(Long.parseLong(args[++i]));
                default -> {
                    System.err.println("EmbeddedEmitBench: unknown argument " + a);
                    System.exit(2);
                }
            }
        }
        boolean temporary = base == null;
        if (temporary) {
            base = Files.createTempDirectory("emit-bench");
        }
        System.out.printf(Locale.ROOT, "# EmbeddedEmitBench threads=%d records/thread=%d sync=%s level=%s warmup=%dms max-heap=%dMiB cores=%d%n",
                threads, records, sync, level, warmup.toMillis(), Runtime.getRuntime().maxMemory() >> 20,
                Runtime.getRuntime().availableProcessors());
        try {
            for (int r = 0; r < runs; r++) {
                Path dir = base.resolve("run-" + r);
                try {
                    runOnce(dir, threads, records, sync, level, channelRecords, channelMib, warmup);
                } finally {
                    BenchFiles.deleteTree(dir);
                }
            }
        } finally {
            if (temporary) {
                BenchFiles.deleteTree(base);
            }
        }
    }

    private static void runOnce(Path dir, int threads, int records, String sync, Durability level,
                                int channelRecords, long channelMib, Duration warmup) throws Exception {
        LogPipeline.Builder b = LogPipeline.builder(dir).warmup(warmup);
        if (channelRecords > 0) {
            b.channelCapacityRecords(channelRecords);
        }
        if (channelMib > 0) {
            b.channelCapacityBytes(channelMib << 20);
        }
        switch (sync) {
            case "batch" -> b.syncEveryBatch();
            case "never" -> b.syncNever();
            default -> b.syncInterval(Duration.ofMillis(Long.parseLong(sync.replace("ms", ""))));
        }
        LogRecord[] templates = new LogRecord[64];
        for (int i = 0; i < templates.length; i++) {
            templates[i] = LogRecord.builder()
                    .level(Level.INFO)
                    .service("checkout")
                    .host("web-" + (i % 8))
                    .message("order " + i + " placed for customer c-" + (1000 + i) + " with 3 items, total 42.17 EUR")
                    .field("order_id", "o-" + (100_000 + i))
                    .field("region", "eu-west-1")
                    .build();
        }
        long gcCount0 = gcCount();
        long gcMillis0 = gcMillis();
        resetPeaks();
        long startBegin = System.nanoTime();
        try (LogPipeline pipeline = b.start()) {
            long startMillis = (System.nanoTime() - startBegin) / 1_000_000;
            Emitter emitter = pipeline.emitter("bench");
            @SuppressWarnings("unchecked")
            final CompletionStage<Long>[][] stages = new CompletionStage[threads][records];
            CountDownLatch start = new CountDownLatch(1);
            AtomicReference<Throwable> error = new AtomicReference<>();
            AtomicLong emitterCpuNanos = new AtomicLong();
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                final int tt = t;
                final int n = records;
                final Durability lv = level;
                ts[t] = new Thread(() -> {
                    try {
                        start.await();
                        CompletionStage<Long>[] mine = stages[tt];
                        for (int i = 0; i < n; i++) {
                            mine[i] = emitter.emit(templates[i & (templates.length - 1)], lv);
                        }
                        if (THREAD_REPORT) {
                            emitterCpuNanos.addAndGet(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
                        }
                    } catch (Throwable e) {
                        error.compareAndSet(null, e);
                    }
                }, "emitter-" + t);
                ts[t].start();
            }
            Map<String, Long> threads0 = THREAD_REPORT ? ThreadTicks.snapshot() : Map.of();
            long t0 = System.nanoTime();
            start.countDown();
            for (Thread t : ts) {
                t.join();
            }
            long emitted = System.nanoTime();
            if (error.get() != null) {
                throw new IllegalStateException("an emitting thread failed", error.get());
            }
            long failed = 0;
            long[] lastIndex = new long[threads];
            java.util.Arrays.fill(lastIndex, -1);
            long outOfOrder = 0;
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < records; i++) {
                    CompletableFuture<Long> f = stages[t][i].toCompletableFuture();
                    try {
                        long idx = f.get(120, TimeUnit.SECONDS);
                        if (idx <= lastIndex[t]) {
                            outOfOrder++;
                        }
                        lastIndex[t] = idx;
                    } catch (Exception e) {
                        failed++;
                    }
                }
            }
            long done = System.nanoTime();
            if (THREAD_REPORT) {
                System.out.println(ThreadTicks.report(threads0, ThreadTicks.snapshot(), (long) threads * records,
                        String.format(Locale.ROOT, "emitters=%.0f", emitterCpuNanos.get() / ((double) threads * records))));
            }
            PipelineStats stats = pipeline.stats();
            double secs = (done - t0) / 1e9;
            long total = (long) threads * records;
            System.out.printf(Locale.ROOT,
                    "records %d  %.0f records/s (first emit to last %s)  emit loop %.2f s  total %.2f s  start %d ms"
                            + "  failed %d  out-of-order %d  written %d  peak-heap %d MiB  peak-rss %d MiB  gc %d (%d ms)%n",
                    total, total / secs, level.name().toLowerCase(Locale.ROOT), (emitted - t0) / 1e9, secs, startMillis,
                    failed, outOfOrder, stats.writtenRecords(), peakHeapBytes() >> 20, peakRssKiB() >> 10,
                    gcCount() - gcCount0, gcMillis() - gcMillis0);
        }
    }

    private static long gcCount() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    private static long gcMillis() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionTime());
        }
        return n;
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
    }

    private static long peakHeapBytes() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    private static long peakRssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
