package dev.logpipe.it;

import dev.logpipe.filesink.JournalVerifier;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.VerifyReport;
import dev.logpipe.testsupport.Conditions;
import dev.logpipe.it.support.JournalScan;
import dev.logpipe.it.support.ProducerGroup;
import dev.logpipe.it.support.ServeProcess;
import dev.logpipe.it.support.TcpProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promise "Graceful shutdown": SIGTERM to a {@code logpipe serve} child while 8 clients send. It
 * exits 0 within the drain timeout; the journal holds exactly the records the server's summary says
 * it received and stored, each once, every client's in order, including everything each client had
 * sent before the signal; and no torn record (a fragment of a frame the server cut when it closed
 * the connection) is stored. Both tests look at the same run (one per class: child JVMs are slow to
 * start on a loaded machine).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GracefulShutdownTest {

    private static final Pattern RECEIVED = Pattern.compile("received\\s+([\\d,]+) records");
    private static final Pattern STORED = Pattern.compile("stored\\s+([\\d,]+) records");
    private static final Duration DRAIN = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    /** What one SIGTERM-while-sending run left behind. */
    private record Outcome(int exit, long tookMs, String stdout, String output, long receivedBeforeSignal,
                           long[] flushedBeforeSignal, ProducerGroup clients, JournalScan scan, Path data) {
    }

    private Outcome outcome;

    /** The run both tests look at, made by the first that asks. */
    private Outcome outcome() throws Exception {
        if (outcome == null) {
            outcome = sigtermWhileSending();
        }
        return outcome;
    }

    private Outcome sigtermWhileSending() throws Exception {
        Path data = dir.resolve("data");
        try (ServeProcess serve = ServeProcess.start(data, dir, "serve", List.of("-Xmx256m"),
                "--drain-timeout", DRAIN.toSeconds() + "s")) {
            ProducerGroup clients = new ProducerGroup("c", 8, serve.port(), Long.MAX_VALUE, 16).start();
            try {
                Conditions.await(Duration.ofSeconds(60), "20,000 records received by serve",
                        () -> receivedTotal(serve) >= 20_000, serve::output);
                long receivedBeforeSignal = receivedTotal(serve);
                long[] flushedBeforeSignal = clients.flushed();
                long signalAt = System.nanoTime();
                serve.sigterm();
                int exit = serve.awaitExit(DRAIN.plusSeconds(30));
                long tookMs = (System.nanoTime() - signalAt) / 1_000_000;
                clients.stop();
                clients.join(60);
                return new Outcome(exit, tookMs, serve.stdout(), serve.output(), receivedBeforeSignal, flushedBeforeSignal,
                        clients, JournalScan.read(data), data);
            } finally {
                clients.stop();
            }
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void sigtermWhileClientsSendExitsZeroAndStoresEverythingAccepted() throws Exception {
        Outcome o = outcome();
        assertEquals(0, o.exit(), "exit code after SIGTERM\n" + o.output());
        assertTrue(o.tookMs() <= DRAIN.toMillis() + 5_000, "exit took " + o.tookMs() + " ms, drain timeout " + DRAIN);
        assertFalse(o.stdout().contains("LOST"), "summary reports lost records\n" + o.stdout());
        long received = summaryCount(RECEIVED, o.stdout());
        long stored = summaryCount(STORED, o.stdout());
        assertEquals(received, stored, "summary: stored must equal received\n" + o.stdout());
        assertTrue(received >= o.receivedBeforeSignal(), "summary received " + received
                + " < /metrics before the signal " + o.receivedBeforeSignal());

        JournalScan scan = o.scan();
        long lagAtSignal = 0; // flushed by clients before SIGTERM but still in socket buffers: never accepted
        assertEquals(List.of(), scan.damaged(), "damaged records");
        // the server's count includes frames it cut when it closed connections (sigtermStoresNoTornFrame...)
        assertEquals(received, scan.records(), "journal records vs. the server's summary of what it received");
        for (int i = 0; i < o.clients().producers().size(); i++) {
            TcpProducer p = o.clients().producers().get(i);
            long n = scan.assertContiguousFromZero(p.id()); // in order, no duplicate, no gap
            // the server cannot store more than the client got onto the wire (the last flush may be partial)
            assertTrue(n <= p.flushed() + 16, p.id() + ": journal holds " + n + " records, client flushed " + p.flushed());
            lagAtSignal += Math.max(0, o.flushedBeforeSignal()[i] - n);
        }
        VerifyReport report = JournalVerifier.verify(o.data());
        assertTrue(report.ok(), "JournalVerifier: " + report);
        assertEquals(received, report.records(), "JournalVerifier record count");
        System.out.println("graceful shutdown: received " + received + ", exit in " + o.tookMs() + " ms; "
                + lagAtSignal + " records flushed by clients before SIGTERM were still unread in socket buffers; "
                + (scan.unmarked().size() + scan.incomplete().size()) + " torn records; " + o.stdout());
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void sigtermStoresNoTornFrameOfTheConnectionsItCloses() throws Exception {
        Outcome o = outcome();
        assertEquals(0, o.exit(), "exit code after SIGTERM\n" + o.output());
        // Every record a client sent carries a marker; a record without one is a fragment of a frame
        // cut when the server closed the connection mid-frame, stored as if the client had sent it.
        List<String> torn = java.util.stream.Stream.concat(o.scan().unmarked().stream(), o.scan().incomplete().stream())
                .map(ReadRecord::toString).toList();
        assertEquals(List.of(), torn, "torn frames stored as records after SIGTERM");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void sigtermStoresWhatEachClientHadSentBeforeTheSignal() throws Exception {
        Outcome o = outcome();
        assertEquals(0, o.exit(), "exit code after SIGTERM\n" + o.output());
        for (int i = 0; i < o.clients().producers().size(); i++) {
            TcpProducer p = o.clients().producers().get(i);
            long n = o.scan().seqs(p.id()).length;
            assertTrue(n >= o.flushedBeforeSignal()[i], p.id() + ": sent " + o.flushedBeforeSignal()[i]
                    + " records before SIGTERM, journal holds only " + n);
        }
    }

    static long receivedTotal(ServeProcess serve) {
        return serve.metrics().entrySet().stream()
                .filter(e -> e.getKey().startsWith("logpipe_received_records_total"))
                .mapToLong(e -> e.getValue().longValue()).sum();
    }

    static long summaryCount(Pattern p, String out) {
        Matcher m = p.matcher(out);
        if (!m.find()) {
            throw new AssertionError("no '" + p + "' in serve's shutdown summary:\n" + out);
        }
        return Long.parseLong(m.group(1).replace(",", ""));
    }
}
