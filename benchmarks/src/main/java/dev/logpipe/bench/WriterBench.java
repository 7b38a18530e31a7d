package dev.logpipe.bench;

import dev.logpipe.channels.ChannelClosedException;
import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.SendResult;
import dev.logpipe.channels.WatchReceiver;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.FileSink;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.SinkListener;
import dev.logpipe.filesink.SinkStats;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.internal.writer.JournalWriter;
import dev.logpipe.runtime.TaskRuntime;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * Benchmark program of the journal writer: how many ~200-byte records per second file-sink's
 * {@link FileSink} appends, and how long a record takes from its send into the writer's channel
 * until a sync covering it has completed (send-to-durable), for the sync policies never, every
 * 100 ms and every batch.
 *
 * <p>A plain program, not JMH, because the figures are of a pipeline with its own threads (writer,
 * blocking-pool syncs), not of a method. Per configuration: {@code --warmup-runs} (5) warm-up runs of
 * {@code --warmup} (1 M) records, each in a scratch directory, then a measured run in a fresh
 * directory; one line of results each. One warm-up run was not enough on 2 cores: C2 was still
 * compiling during the measured run, taking 130–200 ns of CPU per record from the two cores; after
 * five it takes ~40. The line ends with the JIT's milliseconds during the measured run
 * ({@code jit_ms}); {@code -Dbench.threads=true} adds a line of CPU per record for every thread.
 *
 * <p>How it measures. One producer thread sends {@code --records} pre-built records into a bounded
 * mpsc (the same channel type the pipeline uses) as fast as it takes them ({@code trySend},
 * falling back to {@code blockingSend}), stamping {@code System.nanoTime()} per record into an
 * array just before the send. The first and last requests carry a receipt: the first gives the
 * journal index of record 0, so record {@code i} has index {@code first + i} (checked at the end
 * against the last receipt: one roll cycle, one writer, no gaps); the last tells when everything
 * was written. A watcher thread waits on the durable watermark watch; each time it advances it
 * takes the time once and records {@code now - sent[i]} into an HdrHistogram for every record the
 * advance covers. So latency includes the channel wait, the batch, the append, the sync and the
 * watch wake-up, i.e. what an embedded caller waiting on durability would see.
 * records/s = records / (time the last record was reported written - time of the first send).
 * It also prints the writer thread's CPU time per record over the same span (total, and the user
 * part; the rest is the kernel, mostly page faults of the mapped segment), which shows how much
 * of a record's cost is the writer's own work and how much is waiting for the producer; and, per
 * record, the CPU of the producer thread, of the runtime's blocking pool (the syncs), of the whole
 * JVM, and of the whole machine (all cores, from {@code /proc/stat}, so other processes count), to
 * show where the rest of the machine's time went; and how long the syncs took (from
 * {@link SinkListener#onSync}).
 *
 * With {@code --rate R} the producer paces its sends at R records/s and stamps each with its
 * intended send time (so a producer that falls behind is charged, not excused): latency at a given
 * load, rather than at saturation, where it is dominated by the wait in a full channel.
 *
 * <p>Usage: {@code java <chronicle flags> -cp benchmarks.jar dev.logpipe.bench.WriterBench
 * [--sync never|100ms|batch|all] [--records N] [--warmup N] [--warmup-runs K] [--dir DIR] [--capacity N] [--rate R]
 * [--prefault on|off]}: {@code --prefault off} turns off {@code FileSink.Builder.prefaultPages} (on by default).
 *
 * <p>Threading: a program; all state confined to {@code main} and the threads it starts.
 */
public final class WriterBench {

    private static final int DISTINCT_RECORDS = 4096;
    private static final long RUN_TIMEOUT_SECONDS = 180;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final boolean THREAD_REPORT = Boolean.getBoolean("bench.threads");

    private WriterBench() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("chronicle.analytics.disable", "true");
        String sync = "all";
        int records = 4_000_000; // 2 M made runs of one or two seconds, too short to compare
        int warmup = 1_000_000;
        int warmupRuns = 5;
        int capacity = 8192;
        long rate = 0;
        Path base = Paths.get(System.getProperty("java.io.tmpdir"));
        boolean prefault = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sync" -> sync = args[++i];
                case "--records" -> records = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--warmup-runs" -> warmupRuns = Integer.parseInt(args[++i]);
                case "--capacity" -> capacity = Integer.parseInt(args[++i]);
                case "--rate" -> rate = Long.parseLong(args[++i]);
                case "--dir" -> base = Paths.get(args[++i]);
                case "--prefault" -> prefault = parseOnOff(args[++i]);
                default -> {
                    System.err.println("unknown argument " + args[i]
                            + "; usage: WriterBench [--sync never|100ms|batch|all] [--records N] [--warmup N]"
                            + " [--warmup-runs K]"
                            + " [--capacity N] [--rate RECORDS_PER_S] [--dir DIR] [--prefault on|off]");
                    System.exit(2);
                }
            }
        }
        LogRecord[] pool = buildRecords();
        double avgBytes = Stream.of(pool).mapToInt(LogRecord::estimatedBytes).average().orElse(0);
        System.out.printf(Locale.ROOT, "# writer bench: %d records of ~%.0f estimated bytes, channel capacity %d,"
                + " dir %s, %d cores, %s%n", records, avgBytes, capacity, base, Runtime.getRuntime()
                .availableProcessors(), System.getProperty("java.vm.version"));
        String[] policies = sync.equals("all") ? new String[] {"never", "100ms", "batch"} : sync.split(",");
        boolean ok = true;
        for (String policy : policies) {
            for (int w = 0; w < warmupRuns && warmup > 0; w++) {
                run(policy, warmup, capacity, 0, base, pool, false, prefault);
            }
            ok &= run(policy, records, capacity, rate, base, pool, true, prefault);
        }
        System.exit(ok ? 0 : 1);
    }

    private static LogRecord[] buildRecords() {
        String[] services = {"checkout", "payments", "search", "auth", "inventory", "mailer"};
        String[] words = {"request", "completed", "user", "cache", "miss", "order", "retry", "upstream",
            "latency", "token", "refresh", "session", "timeout", "db", "query", "ok"};
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
        LogRecord[] out = new LogRecord[DISTINCT_RECORDS];
        long t0 = LogRecord.nowNanos();
        for (int i = 0; i < out.length; i++) {
            StringBuilder msg = new StringBuilder();
            while (msg.length() < 36) {
                msg.append(words[rnd.nextInt(words.length)]).append(' ');
            }
            out[i] = LogRecord.builder()
                    .eventTimeNanos(t0 + i * 1000L)
                    .receiveTimeNanos(t0 + i * 1000L)
                    .level(i % 50 == 0 ? Level.WARN : Level.INFO)
                    .host("web-" + (i % 16) + ".prod")
                    .service(services[i % services.length])
                    .message(msg.toString().trim())
                    .field("request_id", Long.toHexString(rnd.nextLong()))
                    .field("user_id", Integer.toString(rnd.nextInt(1_000_000)))
                    .field("duration_ms", Integer.toString(rnd.nextInt(2000)))
                    .source("bench")
                    .format(SourceFormat.EMBEDDED)
                    .build();
        }
        return out;
    }

    private static boolean parseOnOff(String v) {
        return switch (v) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("--prefault takes on or off, not " + v);
        };
    }

    /** Durations of the sink's syncs ({@code fdatasync} of the segment), from its listener. */
    private static final class SyncTimes implements SinkListener {
        private final Histogram nanos = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);

        @Override
        public synchronized void onSync(long durationNanos, long durableIndex) {
            nanos.recordValue(Math.min(durationNanos, nanos.getHighestTrackableValue()));
        }

        synchronized String summary() {
            if (nanos.getTotalCount() == 0) {
                return "n/a";
            }
            return String.format(Locale.ROOT, "n=%d p50=%.1fms p99=%.1fms max=%.1fms", nanos.getTotalCount(),
                    nanos.getValueAtPercentile(50) / 1e6, nanos.getValueAtPercentile(99) / 1e6,
                    nanos.getMaxValue() / 1e6);
        }
    }

    private static FileSink buildSink(String policy, Path dir, TaskRuntime rt, boolean prefault, SinkListener listener) {
        FileSink.Builder b = FileSink.builder(dir).runtime(rt).rollCycle(RollCycle.DAILY).prefaultPages(prefault)
                .listener(listener);
        switch (policy) {
            case "never" -> b.syncNever();
            case "100ms" -> b.syncInterval(Duration.ofMillis(100));
            case "batch" -> b.syncEveryBatch();
            default -> throw new IllegalArgumentException("sync policy must be never, 100ms or batch: " + policy);
        }
        return b.build();
    }

    private static boolean run(String policy, int n, int capacity, long rate, Path base, LogRecord[] pool,
                               boolean print, boolean prefault)
            throws Exception {
        Path dir = Files.createTempDirectory(base, "writer-bench-" + policy + "-");
        long[] sent = new long[n];
        Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        AtomicLong durableCount = new AtomicLong();
        try (TaskRuntime rt = TaskRuntime.builder().threadNamePrefix("bench").build()) {
            SyncTimes syncTimes = new SyncTimes();
            FileSink sink = buildSink(policy, dir, rt, prefault, syncTimes);
            Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(capacity);
            sink.start(ch.receiver());
            WatchReceiver<Long> durable = sink.durableWatermark();

            AppendRequest first = AppendRequest.withReceipt(pool[0]);
            AppendRequest last = AppendRequest.withReceipt(pool[(n - 1) % pool.length]);
            Thread watcher = null;
            long start = System.nanoTime();
            try (MpscSender<AppendRequest> tx = ch.sender()) {
                sent[0] = System.nanoTime();
                send(tx, first);
                long firstIndex = first.written().toCompletableFuture().get(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                long writerId = writerThreadId();
                long cpu0 = THREADS.getThreadCpuTime(writerId);
                long user0 = THREADS.getThreadUserTime(writerId);
                long producer0 = THREADS.getCurrentThreadCpuTime();
                long blocking0 = blockingPoolCpu();
                long process0 = processCpu();
                long[] machine0 = machineNanos();
                long jit0 = jitMillis();
                Map<String, Long> threads0 = THREAD_REPORT ? ThreadTicks.snapshot() : Map.of();
                if (!policy.equals("never")) {
                    watcher = new Thread(() -> watchDurable(durable, firstIndex, n, sent, latency, durableCount),
                            "bench-durable-watcher");
                    watcher.setDaemon(true);
                    watcher.start();
                }
                double gapNanos = rate > 0 ? 1e9 / rate : 0;
                long paceStart = System.nanoTime();
                for (int i = 1; i < n; i++) {
                    if (rate > 0) {
                        // Paced: the send time is the intended one, so that falling behind counts
                        // against latency instead of hiding it (no coordinated omission).
                        // Sends in bursts of whatever is due, then parks (at least 100 us): spinning
                        // until each send time would take a core from the writer on a small machine.
                        long intended = paceStart + (long) (i * gapNanos);
                        long ahead;
                        while ((ahead = intended - System.nanoTime()) > 0) {
                            LockSupport.parkNanos(Math.max(ahead, 100_000));
                        }
                        sent[i] = intended;
                    } else {
                        sent[i] = System.nanoTime();
                    }
                    send(tx, i == n - 1 ? last : AppendRequest.of(pool[i % pool.length]));
                }
                long lastIndex = last.written().toCompletableFuture().get(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                long writtenAt = System.nanoTime();
                long writerCpu = THREADS.getThreadCpuTime(writerId) - cpu0;
                long writerUser = THREADS.getThreadUserTime(writerId) - user0;
                long producerCpu = THREADS.getCurrentThreadCpuTime() - producer0;
                long blockingCpu = blockingPoolCpu() - blocking0;
                long processCpu = processCpu() - process0;
                long[] machine1 = machineNanos();
                long jitMs = jitMillis() - jit0;
                if (THREAD_REPORT && print) {
                    System.out.println(ThreadTicks.report(threads0, ThreadTicks.snapshot(), n, ""));
                }
                long machineBusy = machine0[0] < 0 ? -1 : machine1[0] - machine0[0];
                long machineSteal = machine0[1] < 0 ? -1 : machine1[1] - machine0[1];
                if (lastIndex - firstIndex != n - 1) {
                    throw new IllegalStateException("indexes not contiguous (first " + firstIndex + ", last "
                            + lastIndex + " for " + n + " records): a roll during the run? run again");
                }
                double seconds = (writtenAt - start) / 1e9;
                String lat = "n/a (never synced)";
                if (watcher != null) {
                    watcher.join(TimeUnit.SECONDS.toMillis(RUN_TIMEOUT_SECONDS));
                    if (durableCount.get() < n) {
                        throw new IllegalStateException("only " + durableCount.get() + " of " + n
                                + " records became durable within " + RUN_TIMEOUT_SECONDS + " s");
                    }
                    lat = String.format(Locale.ROOT, "p50=%.2fms p99=%.2fms p999=%.2fms max=%.2fms",
                            latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6,
                            latency.getValueAtPercentile(99.9) / 1e6, latency.getMaxValue() / 1e6);
                }
                if (print) {
                    SinkStats st = sink.stats();
                    System.out.printf(Locale.ROOT, "writer sync=%-5s prefault=%s offered=%s records=%d seconds=%.3f records/s=%.0f"
                            + " writer_cpu_ns/record=%.0f (user %.0f) journal_bytes/record=%.0f mean_batch=%.0f syncs=%d"
                            + " send-to-durable %s cpu_ns/record: producer=%.0f blocking_pool=%.0f jvm=%.0f"
                            + " machine=%.0f steal=%.0f of %.0f sync_time %s jit_ms=%d%n",
                            policy, prefault ? "on" : "off", rate > 0 ? rate + "/s" : "max", n, seconds, n / seconds, (double) writerCpu / n,
                            (double) writerUser / n, (double) st.writtenBytes() / st.writtenRecords(),
                            (double) st.writtenRecords() / Math.max(1, st.batches()), st.syncs(), lat,
                            (double) producerCpu / n, (double) blockingCpu / n, (double) processCpu / n,
                            machineBusy < 0 ? Double.NaN : (double) machineBusy / n,
                            machineSteal < 0 ? Double.NaN : (double) machineSteal / n,
                            (writtenAt - start) * (double) Runtime.getRuntime().availableProcessors() / n,
                            syncTimes.summary(), jitMs);
                }
            }
            sink.close();
            return true;
        } catch (Exception e) {
            System.out.printf(Locale.ROOT, "writer sync=%-5s records=%d FAILED: %s%n", policy, n, e);
            return false;
        } finally {
            BenchFiles.deleteTree(dir);
        }
    }

    /** CPU time of the runtime's blocking-pool threads alive now (named {@code bench-blocking-N}). */
    private static long blockingPoolCpu() {
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("bench-blocking")) {
                long c = THREADS.getThreadCpuTime(t.getId());
                sum += Math.max(0, c);
            }
        }
        return sum;
    }

    /** Milliseconds the JIT compilers have spent so far (a compiler still busy in the timed run takes a core from it). */
    private static long jitMillis() {
        java.lang.management.CompilationMXBean c = ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : -1;
    }

    private static long processCpu() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    /**
     * All cores' time since boot from {@code /proc/stat}, in nanoseconds: {busy (user, nice, system,
     * irq, softirq), steal (the hypervisor ran something else)}; {-1, -1} without it.
     */
    private static long[] machineNanos() {
        try {
            String[] f = Files.readAllLines(Paths.get("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7}) {
                busy += Long.parseLong(f[i]);
            }
            long tick = 10_000_000L; // USER_HZ is 100 on Linux
            return new long[] {busy * tick, Long.parseLong(f[8]) * tick};
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
    }

    /** The sink's writer thread (by its documented name); the bench runs one sink at a time. */
    private static long writerThreadId() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(JournalWriter.THREAD_NAME) && t.isAlive())
                .mapToLong(Thread::getId).findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + JournalWriter.THREAD_NAME + " thread"));
    }

    private static void send(MpscSender<AppendRequest> tx, AppendRequest r) throws InterruptedException {
        if (!tx.trySend(r).isSent()) {
            SendResult<AppendRequest> res = tx.blockingSend(r);
            if (!res.isSent()) {
                throw new IllegalStateException("writer channel closed: " + res);
            }
        }
    }

    /** Records send-to-durable for every record each advance of the watermark covers. */
    private static void watchDurable(WatchReceiver<Long> durable, long firstIndex, int n, long[] sent,
                                     Histogram latency, AtomicLong durableCount) {
        long done = 0; // records 0..done-1 already recorded
        try {
            while (done < n) {
                long watermark = durable.borrowAndUpdate();
                long upTo = Math.min(n, watermark - firstIndex + 1);
                if (upTo > done) {
                    long now = System.nanoTime();
                    for (long i = done; i < upTo; i++) {
                        latency.recordValue(Math.max(0, now - sent[(int) i]));
                    }
                    done = upTo;
                    durableCount.set(done);
                    continue;
                }
                durable.blockingChanged();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ChannelClosedException e) {
            // The sink ended before everything became durable; the caller reports the shortfall.
        }
    }
}
