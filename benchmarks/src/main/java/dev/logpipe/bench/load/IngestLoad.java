package dev.logpipe.bench.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The ingest load generator: opens C loopback TCP connections to a log server, sends N
 * pre-generated ~200-byte records (NDJSON or RFC 5424 syslog, LF-framed) split across them, and
 * measures until the server reports all N stored; prints one line of results.
 *
 * <p>Modes. Without {@code --rate}, every connection writes its records as fast as TCP takes them
 * (throughput). With {@code --rate R} the records are paced at R records/s in all (latency): each
 * record's message carries its intended send time ({@link Corpus}), written into it just before
 * the write; pacing by intended time means a sender that falls behind still charges the delay to
 * the latency (no coordinated omission), and the line reports how far behind it fell.
 *
 * <p>"Stored" is, against logpipe, a counter from its admin {@code /metrics} ({@code --metrics-url},
 * {@code --metric}: the durable-records counter by default, so "stored" means synced to disk); against
 * a peer, the line count of its output file ({@code --count-lines}). The counter is polled every
 * 100 ms while the senders write (each poll costs the server an HTTP scrape), the line count every
 * 20 ms, and both every 5 ms once the senders are done (every 10 ms throughout with {@code --rate}):
 * the time the last record is stored is known to within 5 ms, always late.
 *
 * <p>Latency (rate mode). Against logpipe with {@code --journal DIR}: a tail of the journal in this
 * process sees each record as it is written and reads its send stamp; the k-th journal record is
 * durable at the first poll where the durable counter reached k+1; send-to-durable = that poll's
 * time - the stamp, and send-to-written = when the tail saw it - the stamp. Against a peer: the
 * stamp of each line when the line count poll sees it (send-to-file; the peer's file is not synced).
 *
 * <p>Server cost ({@code --server-pid}): CPU seconds used during the run and peak RSS (VmHWM since
 * the process started), plus anonymous/file-backed RSS at the end.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.logpipe.bench.load.IngestLoad --port 5140 --records N
 * --connections C [--protocol tcp|relp|fluent] [--window N] [--batch N] [--format json|syslog] [--rate R] [--metrics-url URL --metric NAME | --count-lines FILE]
 * [--journal DIR] [--server-pid PID] [--target NAME] [--timeout SECONDS]}.
 *
 * <p>Acknowledged protocols: with {@code --protocol relp|fluent} the run is {@link AckedLoad}'s instead
 * (windowed RELP or Fluent Forward clients, records/s to the last ack and ack latency); {@code --window
 * N} bounds the unacknowledged messages per connection, {@code --batch N} the records per Fluent message.
 *
 * <p>Threading: a program; one thread per connection, one poller, one optional journal tail.
 */
public final class IngestLoad {

    private IngestLoad() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("chronicle.analytics.disable", "true");
        Options o = Options.parse(args);
        System.exit(o.protocol.equals("tcp") ? new Run(o).run() : AckedLoad.run(o));
    }

    /** Command-line options. */
    static final class Options {
        String host = "127.0.0.1";
        int port = 5140;
        int records = 1_000_000;
        int connections = 8;
        String format = "json";
        long rate;
        String metricsUrl = "http://127.0.0.1:5180/metrics";
        String metric = "logpipe_durable_records_total";
        boolean metricIsIndex;
        Path countLines;
        Path journal;
        long serverPid = -1;
        String target = "logpipe";
        long timeoutSeconds = 300;
        String protocol = "tcp";
        /** Unacknowledged messages per connection; 0 = the protocol's default (relp 1024, fluent 8). */
        int window;
        int batch = 100;

        static Options parse(String[] a) {
            Options o = new Options();
            for (int i = 0; i < a.length; i++) {
                if (i + 1 >= a.length && !a[i].equals("--metric-is-index")) {
                    usage(a[i] + " needs a value");
                }
                switch (a[i]) {
                    case "--host" -> o.host = a[++i];
                    case "--port" -> o.port = Integer.parseInt(a[++i]);
                    case "--records" -> o.records = Integer.parseInt(a[++i]);
                    case "--connections" -> o.connections = Integer.parseInt(a[++i]);
                    case "--format" -> o.format = a[++i];
                    case "--rate" -> o.rate = Long.parseLong(a[++i]);
                    case "--metrics-url" -> o.metricsUrl = a[++i];
                    case "--metric" -> o.metric = a[++i];
                    case "--metric-is-index" -> o.metricIsIndex = true;
                    case "--count-lines" -> o.countLines = Path.of(a[++i]);
                    case "--journal" -> o.journal = Path.of(a[++i]);
                    case "--server-pid" -> o.serverPid = Long.parseLong(a[++i]);
                    case "--target" -> o.target = a[++i];
                    case "--timeout" -> o.timeoutSeconds = Long.parseLong(a[++i]);
                    case "--protocol" -> o.protocol = a[++i];
                    case "--window" -> {
                        o.window = Integer.parseInt(a[++i]);
                        if (o.window < 1) {
                            usage("need --window >= 1");
                        }
                    }
                    case "--batch" -> o.batch = Integer.parseInt(a[++i]);
                    default -> usage("unknown argument " + a[i]);
                }
            }
            if (!o.format.equals("json") && !o.format.equals("syslog")) {
                usage("--format must be json or syslog");
            }
            if (!o.protocol.equals("tcp") && !o.protocol.equals("relp") && !o.protocol.equals("fluent")) {
                usage("--protocol must be tcp, relp or fluent");
            }
            if (!o.protocol.equals("tcp") && o.rate > 0) {
                usage("--rate is for --protocol tcp; relp and fluent runs are paced by their --window of unacknowledged messages");
            }
            if (o.batch < 1) {
                usage("need --batch >= 1");
            }
            if (o.records < o.connections || o.connections < 1) {
                usage("need --connections >= 1 and --records >= --connections");
            }
            return o;
        }

        static void usage(String why) {
            System.err.println(why + "\nusage: IngestLoad --port P --records N --connections C [--format json|syslog]"
                    + " [--rate R] [--metrics-url URL] [--metric NAME] [--metric-is-index] [--count-lines FILE]"
                    + " [--journal DIR] [--server-pid PID] [--target NAME] [--timeout S] [--host 127.0.0.1]"
                    + " [--protocol tcp|relp|fluent] [--window N] [--batch N]");
            System.exit(2);
        }
    }

    /** One run: connect, send, poll until stored, report. */
    static final class Run {
        private final Options o;
        private final long deadline;
        // Poll samples (rate mode): when the stored counter was read, and its value.
        private long[] pollAt = new long[1 << 16];
        private long[] pollValue = new long[1 << 16];
        private int polls;
        private final Histogram peerLatency = new Histogram(TimeUnit.SECONDS.toNanos(600), 3);
        private long epoch;
        /** Set once the lines already in a peer's file were counted into the baseline. */
        private boolean pastBaseline;

        Run(Options o) {
            this.o = o;
            this.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.timeoutSeconds);
        }

        int run() throws Exception {
            InetAddress addr = InetAddress.getByName(o.host);
            if (!addr.isLoopbackAddress()) {
                Options.usage("refusing " + o.host + ": the load generator only targets loopback addresses");
            }
            boolean rateMode = o.rate > 0;
            Corpus[] corpora = new Corpus[o.connections];
            long totalBytes = 0;
            for (int c = 0; c < o.connections; c++) {
                int n = o.records / o.connections + (c < o.records % o.connections ? 1 : 0);
                corpora[c] = Corpus.build(o.format, c, n);
                totalBytes += corpora[c].bytes.length;
            }

            LineFileProbe lines = o.countLines == null ? null
                    : new LineFileProbe(o.countLines, rateMode ? this::peerStamp : null);
            MetricsProbe metrics = o.countLines == null ? new MetricsProbe(o.metricsUrl, o.metric) : null;
            long baseline = lines != null ? lines.read() : readMetricWithRetry(metrics);
            pastBaseline = true;

            List<SocketChannel> sockets = new ArrayList<>();
            for (int c = 0; c < o.connections; c++) {
                SocketChannel ch = SocketChannel.open(new InetSocketAddress(addr, o.port));
                ch.setOption(StandardSocketOptions.TCP_NODELAY, rateMode);
                sockets.add(ch);
            }
            double cpu0 = o.serverPid > 0 ? ProcStats.cpuSeconds(o.serverPid) : 0;
            double genCpu0 = genCpuSeconds();

            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> sendFailure = new AtomicReference<>();
            AtomicLong maxLagNanos = new AtomicLong();
            List<Thread> senders = new ArrayList<>();
            CountDownLatch sendersLeft = new CountDownLatch(o.connections);
            for (int c = 0; c < o.connections; c++) {
                int id = c;
                Thread t = new Thread(() -> {
                    try (SocketChannel ch = sockets.get(id)) {
                        go.await();
                        if (rateMode) {
                            sendPaced(ch, corpora[id], id, maxLagNanos);
                        } else {
                            writeFully(ch, corpora[id].bytes, 0, corpora[id].bytes.length);
                        }
                    } catch (Throwable e) {
                        sendFailure.compareAndSet(null, e);
                    } finally {
                        sendersLeft.countDown();
                    }
                }, "load-conn-" + c);
                senders.add(t);
            }
            for (Thread t : senders) {
                t.start();
            }
            JournalTail tail = null;
            epoch = System.nanoTime();
            if (rateMode && o.journal != null && lines == null) {
                tail = new JournalTail(o.journal, baseline > 0, o.records, deadline);
                tail.start();
                if (!tail.positioned.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the journal tail was not positioned within 30 s");
                }
            }
            long t0 = System.nanoTime();
            go.countDown();

            // Poll until every record is stored, the senders failed, or the deadline passed. In
            // throughput mode nothing can be complete while a sender still writes, so a metrics probe
            // polls rarely until the last one is done, then finely: each poll is an HTTP scrape that costs
            // the server CPU (about 1.5 ms on an admin loop the JIT has not compiled yet), charged to its
            // per-record figure. A line count keeps reading every 20 ms: its cost is per byte, not per
            // poll, and a file read in larger steps would leave more to count after the last send.
            long sendingPollNanos = TimeUnit.MILLISECONDS.toNanos(rateMode ? 10 : lines != null ? 20 : 100);
            long drainPollNanos = TimeUnit.MILLISECONDS.toNanos(rateMode ? 10 : 5);
            long stored = 0;
            long tStored = -1;
            long tSent = -1;
            while (System.nanoTime() < deadline) {
                stored = (lines != null ? lines.read() : metrics.read()) - baseline;
                long now = System.nanoTime();
                if (rateMode) {
                    addPoll(now, stored + baseline);
                }
                if (tSent < 0 && sendersLeft.getCount() == 0) {
                    tSent = now;
                }
                if (!o.metricIsIndex && stored >= o.records || o.metricIsIndex && tail != null
                        && tail.count == o.records && stored + baseline >= tail.index[o.records - 1]) {
                    tStored = now;
                    break;
                }
                if (sendFailure.get() != null && tSent >= 0) {
                    break;
                }
                if (tSent < 0) {
                    sendersLeft.await(sendingPollNanos, TimeUnit.NANOSECONDS); // ends early when the last sender is done
                } else {
                    LockSupport.parkNanos(drainPollNanos);
                }
            }
            double serverCpu = o.serverPid > 0 ? ProcStats.cpuSeconds(o.serverPid) - cpu0 : Double.NaN;
            double genCpu = genCpuSeconds() - genCpu0;
            double peakRss = o.serverPid > 0 ? ProcStats.statusMiB(o.serverPid, "VmHWM") : Double.NaN;
            double rssAnon = o.serverPid > 0 ? ProcStats.statusMiB(o.serverPid, "RssAnon") : Double.NaN;
            double rssFile = o.serverPid > 0 ? ProcStats.statusMiB(o.serverPid, "RssFile") : Double.NaN;
            if (tail != null) {
                tail.join(TimeUnit.SECONDS.toMillis(Math.max(1, (deadline - System.nanoTime()) / 1_000_000_000L)));
            }
            if (lines != null) {
                lines.close();
            }

            StringBuilder out = new StringBuilder();
            boolean complete = tStored > 0;
            double seconds = ((complete ? tStored : System.nanoTime()) - t0) / 1e9;
            out.append(String.format(Locale.ROOT, "ingest target=%s format=%s records=%d connections=%d mode=%s"
                            + " bytes/record=%.0f seconds=%.3f records/s=%.0f MiB/s=%.1f server_cpu_s=%.2f"
                            + " server_cpu_us/record=%.1f server_peak_rss_MiB=%.0f"
                            + " server_rss_anon_MiB=%.0f server_rss_file_MiB=%.0f gen_cpu_s=%.2f stored_by=%s",
                    o.target, o.format, o.records, o.connections, rateMode ? "rate=" + o.rate + "/s" : "max",
                    (double) totalBytes / o.records, seconds, o.records / seconds, totalBytes / seconds / (1024 * 1024), serverCpu,
                    serverCpu * 1e6 / o.records, peakRss, rssAnon,
                    rssFile, genCpu, lines != null ? "lines:" + o.countLines.getFileName() : o.metric));
            if (rateMode) {
                out.append(String.format(Locale.ROOT, " max_send_lag_ms=%.1f", maxLagNanos.get() / 1e6));
                if (lines != null) {
                    out.append(" send_to_file ").append(percentiles(peerLatency));
                } else if (tail != null) {
                    out.append(latencyFromTail(tail, baseline));
                }
            }
            if (!complete) {
                out.append(String.format(Locale.ROOT, " INCOMPLETE stored=%d of %d", stored, o.records));
            }
            if (sendFailure.get() != null) {
                out.append(" SEND_FAILED ").append(sendFailure.get());
            }
            System.out.println(out);
            return complete && sendFailure.get() == null ? 0 : 1;
        }

        private long readMetricWithRetry(MetricsProbe m) throws Exception {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    return m.read();
                } catch (IOException e) {
                    if (System.nanoTime() > until) {
                        throw e;
                    }
                    Thread.sleep(200); // the server is starting; retry, bounded above
                }
            }
        }

        private void addPoll(long at, long value) {
            if (polls == pollAt.length) {
                pollAt = Arrays.copyOf(pollAt, polls * 2);
                pollValue = Arrays.copyOf(pollValue, polls * 2);
            }
            pollAt[polls] = at;
            pollValue[polls] = value;
            polls++;
        }

        /** Called by the line probe on the polling thread for each new line of the peer's file. */
        private void peerStamp(long stamp) {
            if (pastBaseline && stamp >= 0) { // not the lines already in the file (a warm-up's)
                peerLatency.recordValue(Math.max(0, System.nanoTime() - (epoch + stamp)));
            }
        }

        /** First poll time at which the stored counter reached {@code needed}, or -1. */
        private long firstPollReaching(long needed) {
            int lo = 0;
            int hi = polls;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (pollValue[mid] >= needed) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            return lo < polls ? pollAt[lo] : -1;
        }

        private String latencyFromTail(JournalTail tail, long baseline) {
            if (tail.failure != null) {
                return " latency=unavailable(journal tail failed: " + tail.failure + ")";
            }
            Histogram durable = new Histogram(TimeUnit.SECONDS.toNanos(600), 3);
            Histogram written = new Histogram(TimeUnit.SECONDS.toNanos(600), 3);
            int n = tail.count;
            int notDurable = 0;
            for (int k = 0; k < n; k++) {
                long s = tail.stamp[k];
                if (s < 0) {
                    continue;
                }
                long sentAt = epoch + s;
                written.recordValue(Math.max(0, tail.seenAt[k] - sentAt));
                long needed = o.metricIsIndex ? tail.index[k] : baseline + k + 1;
                long at = firstPollReaching(needed);
                if (at < 0) {
                    notDurable++;
                } else {
                    durable.recordValue(Math.max(0, at - sentAt));
                }
            }
            return " send_to_durable " + percentiles(durable) + " send_to_written " + percentiles(written)
                    + (n < o.records ? " tail_saw=" + n : "") + (notDurable > 0 ? " not_durable=" + notDurable : "");
        }

        private static String percentiles(Histogram h) {
            if (h.getTotalCount() == 0) {
                return "n=0";
            }
            return String.format(Locale.ROOT, "p50=%.1fms p99=%.1fms p999=%.1fms max=%.1fms n=%d",
                    h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
                    h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6, h.getTotalCount());
        }

        /** Sends corpus records at rate/connections per second, stamping each with its intended time. */
        private void sendPaced(SocketChannel ch, Corpus corpus, int id, AtomicLong maxLag) throws IOException {
            double perConn = (double) o.rate / o.connections;
            double gapNanos = 1e9 / perConn;
            // Stagger the connections so that their records interleave instead of arriving in bursts.
            double phase = gapNanos * id / o.connections;
            long start = System.nanoTime();
            int next = 0;
            while (next < corpus.count) {
                long now = System.nanoTime();
                if (now > deadline) {
                    throw new IOException("deadline passed with " + (corpus.count - next) + " records unsent");
                }
                int due = (int) Math.min(corpus.count, Math.floor((now - start - phase) / gapNanos) + 1);
                if (due <= next) {
                    long wait = (long) (start + phase + next * gapNanos) - now;
                    // At least 1 ms: waking per record would cost the generator a core at high rates;
                    // records sent late are charged to latency (their stamp is the intended time).
                    LockSupport.parkNanos(Math.max(1_000_000, wait));
                    continue;
                }
                for (int i = next; i < due; i++) {
                    corpus.stamp(i, start + (long) (phase + i * gapNanos) - epoch);
                }
                long lag = now - (start + (long) (phase + next * gapNanos));
                if (lag > maxLag.get()) {
                    maxLag.accumulateAndGet(lag, Math::max);
                }
                writeFully(ch, corpus.bytes, corpus.offsets[next], corpus.offsets[due] - corpus.offsets[next]);
                next = due;
            }
        }

        /** Bytes per socket write of a connection's corpus. */
        private static final int WRITE_CHUNK = 256 * 1024;

        private static void writeFully(SocketChannel ch, byte[] bytes, int off, int len) throws IOException {
            // In pieces: the JDK writes a heap buffer by first copying ALL it has left into a temporary
            // direct buffer, whatever the socket then takes, so writing a connection's whole corpus as
            // one buffer copied it over and over (quadratic: 0.5 s of the generator's CPU over 2 M
            // records, 5 s over 6 M, on the cores the server runs on).
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int end = off + len;
            for (int p = off; p < end; p = b.limit()) {
                b.limit(Math.min(end, p + WRITE_CHUNK)).position(p);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        }

        private static double genCpuSeconds() {
            java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
                return sun.getProcessCpuTime() / 1e9;
            }
            return Double.NaN;
        }
    }
}
