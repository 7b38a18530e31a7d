package dev.logpipe.collector;

import static dev.logpipe.collector.TestSupport.connect;
import static dev.logpipe.collector.TestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.teragrep.rlp_01.RelpBatch;
import com.teragrep.rlp_01.RelpConnection;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.SourceFormat;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The RELP listener end to end, with a real RELP client (teragrep rlp_01) over loopback. */
class RelpListenerTest {

    private static LogPipeline start(Path dir, Duration syncInterval) throws Exception {
        return LogPipeline.builder(dir)
                .syncInterval(syncInterval)
                .drainTimeout(Duration.ofSeconds(10))
                .listener(ListenerConfig.builder().port(0).protocol(ListenerProtocol.RELP).build())
                .start();
    }

    /** Sends {@code n} messages tagged {@code tag} in batches of {@code batch}; every one must be acked. */
    private static void sendAll(int port, String tag, int n, int batch) throws Exception {
        RelpConnection c = new RelpConnection();
        c.setConnectionTimeout(5_000);
        c.setReadTimeout(10_000);
        c.setWriteTimeout(10_000);
        assertTrue(c.connect("127.0.0.1", port), "RELP session opened");
        for (int i = 0; i < n; i += batch) {
            RelpBatch b = new RelpBatch();
            for (int j = i; j < Math.min(n, i + batch); j++) {
                b.insert(("<14>1 2024-03-10T12:00:00Z host1 " + tag + " - - - msg " + j).getBytes(StandardCharsets.UTF_8));
            }
            c.commit(b);
            assertTrue(b.verifyTransactionAll(), "every message of the batch acknowledged 200 OK");
        }
        c.disconnect();
    }

    @Test
    @Timeout(60)
    void aRealClientsMessagesAreAcknowledgedOnlyOnceDurableAndStoredInOrder(@TempDir Path dir) throws Exception {
        // A sync interval far longer than the test: only sync on pressure can make the acks come.
        LogPipeline p = start(dir, Duration.ofHours(1));
        int port = p.tcpPort();
        int n = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            String tag = "app" + c;
            fs.add(pool.submit(() -> {
                sendAll(port, tag, n, 256);
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        PipelineStats acked = p.stats();
        assertTrue(acked.durableRecords() >= 3L * n, "every acknowledged record is durable: " + acked.durableRecords());
        assertEquals(3L * n, p.stats().receivedRecords().get(SourceFormat.SYSLOG_5424));
        p.shutdown();

        List<ReadRecord> all = readJournal(dir);
        assertEquals(3 * n, all.size(), "each message stored once");
        for (int c = 0; c < 3; c++) {
            String tag = "app" + c;
            List<String> msgs = all.stream().filter(r -> r.record().service().equals(tag))
                    .map(r -> r.record().message()).toList();
            assertEquals(n, msgs.size());
            for (int i = 0; i < n; i++) {
                assertEquals("msg " + i, msgs.get(i), "per-connection order");
            }
        }
    }

    @Test
    @Timeout(60)
    void aBadConnectionIsClosedWithServercloseWhileAGoodOneGoesOn(@TempDir Path dir) throws Exception {
        LogPipeline p = start(dir, Duration.ofMillis(20));
        try (Socket bad = connect(new InetSocketAddress("127.0.0.1", p.tcpPort()))) {
            String offers = "relp_version=0\nrelp_software=test\ncommands=syslog";
            String msg = "<13>hello";
            bad.getOutputStream().write(("1 open " + offers.length() + " " + offers + "\n"
                    + "2 syslog " + msg.length() + " " + msg + "\n"
                    + "3 syslog 2 <13>lying length\n").getBytes(StandardCharsets.UTF_8));
            BufferedReader r = new BufferedReader(new InputStreamReader(bad.getInputStream(), StandardCharsets.UTF_8));
            assertTrue(r.readLine().startsWith("1 rsp "));
            for (String l; (l = r.readLine()) != null && !l.startsWith("2 rsp"); ) {
                // the offers of the open answer
            }
            assertEquals("0 serverclose 0", r.readLine());
            assertEquals(null, r.readLine(), "closed after the hint");
            sendAll(p.tcpPort(), "good", 300, 100);
        }
        PipelineStats s = p.shutdown();
        assertEquals(1, s.receivedRecords().get(SourceFormat.SYSLOG_3164) + 0L);
        Set<String> msgs = new HashSet<>();
        readJournal(dir).forEach(rr -> msgs.add(rr.record().message()));
        assertTrue(msgs.contains("hello"));
        assertEquals(301, msgs.size());
    }

    @Test
    @Timeout(60)
    void shutdownAnswersEverythingReceivedThenSendsServerclose(@TempDir Path dir) throws Exception {
        LogPipeline p = start(dir, Duration.ofHours(1));
        try (Socket s = connect(new InetSocketAddress("127.0.0.1", p.tcpPort()))) {
            String offers = "relp_version=0\ncommands=syslog";
            StringBuilder sb = new StringBuilder("1 open " + offers.length() + " " + offers + "\n");
            for (int i = 2; i < 202; i++) {
                String m = "<13>1 - h a - - - m" + i;
                sb.append(i).append(" syslog ").append(m.length()).append(' ').append(m).append('\n');
            }
            s.getOutputStream().write(sb.toString().getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            assertTrue(r.readLine().startsWith("1 rsp "));
            assertEquals("relp_version=0", r.readLine());
            assertEquals("relp_software=logpipe", r.readLine());
            assertEquals("commands=syslog", r.readLine());
            Thread t = new Thread(p::shutdown);
            t.start();
            List<String> rest = new ArrayList<>();
            for (String l; (l = r.readLine()) != null; ) {
                rest.add(l);
            }
            t.join();
            assertEquals(201, rest.size(), rest.toString());
            for (int i = 2; i < 202; i++) {
                assertEquals(i + " rsp 6 200 OK", rest.get(i - 2));
            }
            assertEquals("0 serverclose 0", rest.get(200));
        }
        assertEquals(200, readJournal(dir).size());
    }
}
