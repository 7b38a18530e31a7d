package dev.logpipe.bench.load;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * The acknowledged-ingest load generator ({@code IngestLoad --protocol relp|fluent}): C loopback
 * connections, each with a bounded window of unacknowledged messages, send N pre-generated ~200-byte
 * records split across them and wait for every acknowledgement; prints one line of results.
 *
 * <p>RELP: a client written here (small, and pipelined, which is what the benchmark needs): {@code
 * open} with {@code relp_version=0} and {@code commands=syslog}, then one {@code TXNR syslog LEN DATA}
 * frame per record (an RFC 5424 line of {@link Corpus}), at most {@code --window} (default 1024)
 * unanswered; every {@code rsp} must be {@code 200}; {@code close} at the end. One message = one record.
 *
 * <p>Fluent Forward: Forward-mode messages {@code [tag, [[EventTime, record], ...], {"chunk": id}]} of
 * {@code --batch} records (default 100), each record a map with message, level, host, service and two
 * more fields; at most {@code --window} (default 8) messages unacknowledged; each {@code {"ack": id}}
 * must echo a chunk sent on that connection and not yet acknowledged. One message = one chunk.
 *
 * <p>Measured: records/s from the first send to the last acknowledgement; ack latency (from the
 * message's hand-off to the client's socket buffer to its acknowledgement being read) p50/p99/max per
 * message; and the server's CPU, memory and (logpipe) counters, as {@link IngestLoad}. The run fails
 * (exit 1, {@code FAILED} on the line) unless every message sent was acknowledged exactly once.
 * Records are written through a 16 KiB buffer that is flushed when the window is full, when it fills,
 * or at the end, so at low window sizes the latency includes that buffering.
 *
 * <p>Threading: a program; per connection one sending thread and one reading thread, sharing the
 * window (a semaphore) and the send-time slots (each slot written before its message is sent and read
 * after its ack, ordered by the socket and the semaphore).
 */
final class AckedLoad {

    private static final String FLUENT_TAG = "bench.ingest";

    private AckedLoad() {
    }

    /** Runs the load with the parsed options; returns the exit code. */
    static int run(IngestLoad.Options o) throws Exception {
        InetAddress addr = InetAddress.getByName(o.host);
        if (!addr.isLoopbackAddress()) {
            IngestLoad.Options.usage("refusing " + o.host + ": the load generator only targets loopback addresses");
        }
        boolean relp = o.protocol.equals("relp");
        int window = o.window > 0 ? o.window : relp ? 1024 : 8;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.timeoutSeconds);

        Conn[] conns = new Conn[o.connections];
        long payloadBytes = 0;
        for (int c = 0; c < o.connections; c++) {
            int n = o.records / o.connections + (c < o.records % o.connections ? 1 : 0);
            conns[c] = relp ? new RelpConn(c, n, window, deadline) : new FluentConn(c, n, window, o.batch, deadline);
            payloadBytes += conns[c].payloadBytes();
        }

        MetricsProbe durable = o.metricsUrl != null && o.countLines == null ? new MetricsProbe(o.metricsUrl, o.metric) : null;
        MetricsProbe acksSent = durable != null ? new MetricsProbe(o.metricsUrl, "logpipe_acks_sent_total") : null;
        MetricsProbe syncs = durable != null ? new MetricsProbe(o.metricsUrl, "logpipe_syncs_total") : null;
        // in microseconds, so that the probe's whole-number sum keeps them
        MetricsProbe syncMicros = durable != null
                ? new MetricsProbe(o.metricsUrl, "logpipe_sync_duration_seconds_sum", 1e6) : null;
        long durable0 = durable != null ? durable.read() : 0;
        long acks0 = acksSent != null ? acksSent.read() : 0;
        long syncs0 = syncs != null ? syncs.read() : 0;
        long syncMicros0 = syncMicros != null ? syncMicros.read() : 0;

        for (Conn c : conns) {
            try {
                c.connect(new InetSocketAddress(addr, o.port));
            } catch (IOException e) {
                System.out.println("ingest target=" + o.target + " protocol=" + o.protocol + " FAILED connection " + c.id
                        + " to " + o.host + ":" + o.port + ": " + e);
                for (Conn d : conns) {
                    d.closeQuietly();
                }
                return 1;
            }
        }
        double cpu0 = o.serverPid > 0 ? ProcStats.cpuSeconds(o.serverPid) : 0;
        double genCpu0 = genCpuSeconds();

        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (Conn c : conns) {
            threads.add(new Thread(() -> c.sendAll(go), "load-send-" + c.id));
            threads.add(new Thread(c::readAll, "load-read-" + c.id));
        }
        for (Thread t : threads) {
            t.start();
        }
        long t0 = System.nanoTime();
        for (Conn c : conns) {
            c.t0 = t0;
        }
        go.countDown();
        for (Thread t : threads) {
            long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 5_000);
            t.join(left);
        }
        long tEnd = 0;
        for (Conn c : conns) {
            tEnd = Math.max(tEnd, c.lastAckAt);
        }
        double serverCpu = Double.NaN;
        double peakRss = Double.NaN;
        try {
            serverCpu = o.serverPid > 0 ? ProcStats.cpuSeconds(o.serverPid) - cpu0 : Double.NaN;
            peakRss = o.serverPid > 0 ? ProcStats.statusMiB(o.serverPid, "VmHWM") : Double.NaN;
        } catch (IOException e) {
            // the server is gone (the run failed): its figures stay NaN
        }
        double genCpu = genCpuSeconds() - genCpu0;

        Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(600), 3);
        long messagesSent = 0;
        long acked = 0;
        long recordsAcked = 0;
        List<String> failures = new ArrayList<>();
        for (Conn c : conns) {
            latency.add(c.latency);
            messagesSent += c.messagesSent;
            acked += c.acked;
            recordsAcked += c.recordsAcked;
            if (c.failure.get() != null) {
                failures.add("conn " + c.id + ": " + c.failure.get());
            }
            c.closeQuietly();
        }
        for (Thread t : threads) {
            if (t.isAlive()) {
                failures.add(t.getName() + " still running at the deadline");
            }
        }
        boolean complete = failures.isEmpty() && recordsAcked == o.records && acked == messagesSent;
        if (failures.isEmpty() && !complete) {
            failures.add("acknowledged " + recordsAcked + " records in " + acked + " messages of " + o.records
                    + " records in " + messagesSent + " messages sent");
        }

        String stored = "";
        if (durable != null) {
            try {
                long n = syncs.read() - syncs0;
                double micros = syncMicros.read() - syncMicros0;
                stored = String.format(Locale.ROOT, " server_%s=%d server_acks_sent=%d server_syncs=%d"
                                + " server_sync_mean_ms=%.2f", o.metric.replace("logpipe_", ""),
                        durable.read() - durable0, acksSent.read() - acks0, n, n == 0 ? 0.0 : micros / n / 1000);
            } catch (IOException e) {
                stored = " server_counters=unavailable(" + e + ")";
            }
        } else if (o.countLines != null) {
            // The peer (rsyslog imrelp) acknowledges once enqueued: give its file a bounded moment to catch up.
            try (LineFileProbe lines = new LineFileProbe(o.countLines, null)) {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                long n = lines.read();
                while (n < recordsAcked && System.nanoTime() < until) {
                    Thread.sleep(20);
                    n = lines.read();
                }
                stored = " server_lines=" + n;
            }
        }

        double seconds = ((complete ? tEnd : System.nanoTime()) - t0) / 1e9;
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "ingest target=%s protocol=%s records=%d connections=%d window=%d%s bytes/record=%.0f seconds=%.3f"
                        + " records/s=%.0f acks=%d ack_latency(per %s) p50=%.2fms p99=%.2fms max=%.2fms"
                        + " server_cpu_s=%.2f server_cpu_us/record=%.1f server_peak_rss_MiB=%.0f gen_cpu_s=%.2f%s",
                o.target, o.protocol, o.records, o.connections, window, relp ? "" : " batch=" + o.batch,
                (double) payloadBytes / o.records, seconds, recordsAcked / seconds, acked, relp ? "record" : "chunk",
                latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6,
                latency.getMaxValue() / 1e6, serverCpu, serverCpu * 1e6 / o.records, peakRss, genCpu, stored));
        if (!complete) {
            out.append(" FAILED ").append(String.join("; ", failures));
        }
        System.out.println(out);
        return complete ? 0 : 1;
    }

    private static double genCpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    /** One connection: its messages, window, send times and results. */
    abstract static class Conn {
        final int id;
        final int records;
        final int window;
        final long deadline;
        final Semaphore permits;
        /** Send time of the message in each window slot (message sequence modulo the slot count). */
        final AtomicLongArray sentAt;
        final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(600), 3);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        Socket socket;
        OutputStream out;
        InputStream in;
        volatile long t0;
        // Written by the sending thread, read after it joined.
        long messagesSent;
        // Written by the reading thread, read after it joined.
        long acked;
        long recordsAcked;
        long lastAckAt;
        /** Set by the sending thread when it has sent every message; read by the reading thread. */
        volatile long totalMessages = -1;

        Conn(int id, int records, int window, long deadline) {
            this.id = id;
            this.records = records;
            this.window = window;
            this.deadline = deadline;
            this.permits = new Semaphore(window);
            this.sentAt = new AtomicLongArray(Integer.highestOneBit(Math.max(1, window - 1)) << 1);
        }

        abstract long payloadBytes();

        /** Called after connecting, before the run: the protocol's handshake, if any. */
        void handshake() throws IOException {
        }

        /** Writes message {@code seq} (0-based) to {@link #out}; returns how many records it holds. */
        abstract int writeMessage(long seq) throws IOException;

        abstract long messageCount();

        /** Reads one acknowledgement; returns the sequence (0-based) of the message it acknowledges, or -1 at a clean end. */
        abstract long readAck() throws IOException;

        abstract int recordsIn(long seq);

        /** Called on the reading thread after the last ack: the protocol's goodbye, if any. */
        void finish() throws IOException {
        }

        void connect(InetSocketAddress to) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(to, 5_000);
            out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            socket.setSoTimeout(Math.toIntExact(Math.max(1_000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            handshake();
        }

        void sendAll(CountDownLatch go) {
            try {
                go.await();
                long n = messageCount();
                for (long seq = 0; seq < n; seq++) {
                    if (!permits.tryAcquire()) {
                        synchronized (this) {
                            out.flush();
                        }
                        while (!permits.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                            if (failure.get() != null) {
                                return;
                            }
                            if (System.nanoTime() > deadline) {
                                throw new IOException("deadline passed with " + (n - seq) + " messages unsent");
                            }
                        }
                    }
                    sentAt.set((int) (seq & (sentAt.length() - 1)), System.nanoTime());
                    synchronized (this) {
                        writeMessage(seq);
                    }
                    messagesSent++;
                }
                synchronized (this) {
                    out.flush();
                }
                totalMessages = n;
            } catch (Throwable e) {
                fail(e);
            }
        }

        void readAll() {
            try {
                long n = messageCount();
                while (acked < n) {
                    long seq = readAck();
                    long now = System.nanoTime();
                    if (seq < 0) {
                        throw new EOFException("the server ended the session after " + acked + " of " + n + " acks");
                    }
                    if (seq >= sentBound() || seq < acked - window) {
                        throw new IOException("acknowledgement of message " + seq + " that is not outstanding");
                    }
                    latency.recordValue(Math.max(0, now - sentAt.get((int) (seq & (sentAt.length() - 1)))));
                    acked++;
                    recordsAcked += recordsIn(seq);
                    lastAckAt = now;
                    permits.release();
                }
                finish();
            } catch (Throwable e) {
                fail(e);
            }
        }

        /** Upper bound of messages handed to the socket so far, as seen by the reader (the window bounds it). */
        private long sentBound() {
            return totalMessages >= 0 ? totalMessages : acked + window;
        }

        void fail(Throwable e) {
            failure.compareAndSet(null, e);
            closeQuietly(); // unblocks the other thread of this connection
            permits.release(window);
        }

        void closeQuietly() {
            try {
                if (socket != null) {
                    socket.close();
                }
            } catch (IOException ignored) {
                // closing after the run (or a failure); nothing left to report
            }
        }
    }

    /** A RELP session: open, one syslog frame per record, close. */
    static final class RelpConn extends Conn {
        private static final long MAX_TXNR = 999_999_999L;
        private final Corpus corpus;
        private final byte[] scratch = new byte[32];
        private long lastTxnr;

        RelpConn(int id, int records, int window, long deadline) {
            super(id, records, window, deadline);
            this.corpus = Corpus.build("syslog", id, records);
        }

        @Override
        long payloadBytes() {
            return corpus.bytes.length - corpus.count; // without the LF, which RELP does not send
        }

        @Override
        long messageCount() {
            return records;
        }

        @Override
        int recordsIn(long seq) {
            return 1;
        }

        /** txnr of message seq: 2, 3, ... (1 is open), wrapping from 999,999,999 to 1 as RFC-less RELP does. */
        private static long txnr(long seq) {
            return (seq + 1) % MAX_TXNR + 1;
        }

        @Override
        void handshake() throws IOException {
            String offer = "relp_version=0\nrelp_software=logpipe-bench\ncommands=syslog";
            writeFrame(1, "open", offer.getBytes(StandardCharsets.US_ASCII), 0, offer.length());
            out.flush();
            Rsp r = readRsp();
            if (r == null) {
                throw new EOFException("RELP: the server closed the connection instead of answering open (is this a RELP port?)");
            }
            if (r.txnr != 1 || !r.data.startsWith("200")) {
                throw new IOException("RELP open refused: " + r.txnr + " " + r.command + " " + r.data);
            }
        }

        @Override
        int writeMessage(long seq) throws IOException {
            int i = (int) seq;
            int off = corpus.offsets[i];
            writeFrame(txnr(seq), "syslog", corpus.bytes, off, corpus.offsets[i + 1] - off - 1);
            return 1;
        }

        private void writeFrame(long txnr, String command, byte[] data, int off, int len) throws IOException {
            writeNumber(txnr);
            out.write(' ');
            out.write(command.getBytes(StandardCharsets.US_ASCII));
            out.write(' ');
            writeNumber(len);
            if (len > 0) {
                out.write(' ');
                out.write(data, off, len);
            }
            out.write('\n');
        }

        private void writeNumber(long v) throws IOException {
            int p = scratch.length;
            do {
                scratch[--p] = (byte) ('0' + v % 10);
                v /= 10;
            } while (v > 0);
            out.write(scratch, p, scratch.length - p);
        }

        @Override
        long readAck() throws IOException {
            Rsp r = readRsp();
            if (r == null) {
                return -1;
            }
            if (r.txnr == 0 && r.command.equals("serverclose")) {
                return -1;
            }
            if (!r.command.equals("rsp") || !r.data.startsWith("200")) {
                throw new IOException("RELP negative answer: " + r.txnr + " " + r.command + " " + r.data);
            }
            long expected = txnr(acked);
            if (r.txnr != expected) {
                throw new IOException("RELP rsp for txnr " + r.txnr + " where " + expected + " was next");
            }
            lastTxnr = r.txnr;
            return acked;
        }

        @Override
        void finish() throws IOException {
            long closeTxnr = lastTxnr % MAX_TXNR + 1;
            synchronized (this) {
                writeFrame(closeTxnr, "close", null, 0, 0);
                out.flush();
            }
            Rsp r = readRsp();
            if (r == null || r.txnr != closeTxnr || !r.command.equals("rsp")) {
                throw new IOException("RELP close not answered" + (r == null ? "" : ": got " + r.txnr + " " + r.command));
            }
        }

        private record Rsp(long txnr, String command, String data) {
        }

        /** One frame from the server, or null at end of stream before its first byte. */
        private Rsp readRsp() throws IOException {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            long txnr = 0;
            while (c != ' ') {
                if (c < '0' || c > '9') {
                    throw new IOException("RELP: bad txnr byte " + c);
                }
                txnr = txnr * 10 + (c - '0');
                c = read();
            }
            StringBuilder command = new StringBuilder(8);
            for (c = read(); c != ' '; c = read()) {
                command.append((char) c);
            }
            int len = 0;
            for (c = read(); c >= '0' && c <= '9'; c = read()) {
                len = len * 10 + (c - '0');
            }
            String data = "";
            if (c == ' ') {
                byte[] b = in.readNBytes(len);
                if (b.length < len) {
                    throw new EOFException("RELP: frame cut short");
                }
                data = new String(b, StandardCharsets.UTF_8);
                c = read();
            }
            if (c != '\n') {
                throw new IOException("RELP: frame without trailer (byte " + c + ")");
            }
            return new Rsp(txnr, command.toString(), data);
        }

        private int read() throws IOException {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("RELP: connection closed inside a frame");
            }
            return c;
        }
    }

    /** A Fluent Forward connection: Forward-mode messages with a chunk id, answered by {"ack": id}. */
    static final class FluentConn extends Conn {
        private static final String[] SERVICES = {"checkout", "payments", "search", "auth", "inventory", "mailer"};
        private static final String[] LEVELS = {"INFO", "INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"};
        private static final String[] WORDS = {"request", "completed", "user", "cache", "miss", "order", "retry",
            "upstream", "latency", "token", "refresh", "session", "timeout", "db", "query", "ok", "card", "declined"};

        private final int batch;
        private final byte[] bytes;
        /** offsets[k] = start of message k; offsets[messages] = bytes.length. */
        private final int[] offsets;
        private final int messages;
        private MessageUnpacker unpacker;

        FluentConn(int id, int records, int window, int batch, long deadline) throws IOException {
            super(id, records, window, deadline);
            this.batch = batch;
            this.messages = (records + batch - 1) / batch;
            this.offsets = new int[messages + 1];
            SplittableRandom rnd = new SplittableRandom(2000 + id);
            long epochSecond = System.currentTimeMillis() / 1000;
            try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
                int r = 0;
                for (int k = 0; k < messages; k++) {
                    offsets[k] = Math.toIntExact(p.getTotalWrittenBytes());
                    int n = Math.min(batch, records - r);
                    p.packArrayHeader(3);
                    p.packString(FLUENT_TAG);
                    p.packArrayHeader(n);
                    for (int j = 0; j < n; j++, r++) {
                        p.packArrayHeader(2);
                        byte[] time = new byte[8];
                        putInt(time, 0, (int) epochSecond);
                        putInt(time, 4, r * 1000 % 1_000_000_000);
                        p.packExtensionTypeHeader((byte) 0, 8);
                        p.writePayload(time);
                        StringBuilder msg = new StringBuilder(96);
                        while (msg.length() < 90) {
                            msg.append(WORDS[rnd.nextInt(WORDS.length)]).append(' ');
                        }
                        p.packMapHeader(6);
                        p.packString("message").packString(msg.toString().trim());
                        p.packString("level").packString(LEVELS[rnd.nextInt(LEVELS.length)]);
                        p.packString("host").packString("web-" + rnd.nextInt(16) + ".prod");
                        p.packString("service").packString(SERVICES[rnd.nextInt(SERVICES.length)]);
                        p.packString("request_id").packString(Long.toHexString(rnd.nextLong() | Long.MIN_VALUE));
                        p.packString("seq").packInt(r);
                    }
                    p.packMapHeader(1);
                    p.packString("chunk").packString(chunkId(k));
                }
                this.bytes = p.toByteArray();
                offsets[messages] = bytes.length;
            }
        }

        private String chunkId(long seq) {
            return String.format(Locale.ROOT, "%04x-%012x", id, seq);
        }

        private static void putInt(byte[] b, int at, int v) {
            b[at] = (byte) (v >>> 24);
            b[at + 1] = (byte) (v >>> 16);
            b[at + 2] = (byte) (v >>> 8);
            b[at + 3] = (byte) v;
        }

        @Override
        long payloadBytes() {
            return bytes.length;
        }

        @Override
        long messageCount() {
            return messages;
        }

        @Override
        int recordsIn(long seq) {
            return (int) Math.min(batch, records - seq * batch);
        }

        @Override
        int writeMessage(long seq) throws IOException {
            int k = (int) seq;
            out.write(bytes, offsets[k], offsets[k + 1] - offsets[k]);
            return recordsIn(seq);
        }

        @Override
        long readAck() throws IOException {
            if (unpacker == null) {
                unpacker = MessagePack.newDefaultUnpacker(in);
            }
            if (!unpacker.hasNext()) {
                return -1;
            }
            if (unpacker.getNextFormat().getValueType() != ValueType.MAP) {
                throw new IOException("Fluent: the server sent " + unpacker.unpackValue() + ", not an ack map");
            }
            int entries = unpacker.unpackMapHeader();
            String chunk = null;
            for (int i = 0; i < entries; i++) {
                String key = unpacker.unpackString();
                if (key.equals("ack")) {
                    chunk = unpacker.unpackString();
                } else {
                    unpacker.skipValue();
                }
            }
            if (chunk == null) {
                throw new IOException("Fluent: an answer without \"ack\"");
            }
            long seq;
            try {
                int dash = chunk.indexOf('-');
                if (Integer.parseInt(chunk.substring(0, dash), 16) != id) {
                    throw new IOException("Fluent: ack for chunk " + chunk + " of another connection");
                }
                seq = Long.parseLong(chunk.substring(dash + 1), 16);
            } catch (RuntimeException e) {
                throw new IOException("Fluent: ack for a chunk never sent: " + chunk, e);
            }
            // logpipe acknowledges in message order; anything else is reported (a duplicate or a skip).
            if (seq != acked) {
                throw new IOException("Fluent: ack for chunk " + chunk + " where chunk " + chunkId(acked) + " was next");
            }
            return seq;
        }
    }
}
