package dev.logpipe.collector;

import static dev.logpipe.collector.TestSupport.awaitCondition;
import static dev.logpipe.collector.TestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.logpipe.filesink.ReadRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real rsyslog daemon forwarding with {@code omrelp} to the RELP listener: lines go into
 * rsyslogd's {@code imtcp}, out through {@code omrelp} (window 1024) into logpipe. Skipped where
 * rsyslogd or its omrelp module is not installed (Debian: {@code apt-get install rsyslog rsyslog-relp}).
 */
class RsyslogRelpTest {

    private static final Path RSYSLOGD = Path.of("/usr/sbin/rsyslogd");
    private static final Path MODULES = Path.of("/usr/lib/x86_64-linux-gnu/rsyslog");

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    @Timeout(120)
    void rsyslogOmrelpDeliversEveryLineAndGetsEveryAck(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(RSYSLOGD), "rsyslogd is not installed at " + RSYSLOGD
                + " (apt-get install rsyslog rsyslog-relp); skipping the real-daemon RELP test");
        assumeTrue(Files.exists(MODULES.resolve("omrelp.so")) && Files.exists(MODULES.resolve("imtcp.so")),
                "rsyslog's omrelp/imtcp modules are not in " + MODULES + " (apt-get install rsyslog-relp)");
        Path journal = dir.resolve("journal");
        LogPipeline p = LogPipeline.builder(journal)
                .syncInterval(Duration.ofHours(1)) // only sync on pressure makes acks come
                .listener(ListenerConfig.builder().port(0).protocol(ListenerProtocol.RELP).build())
                .start();
        Process rsyslogd = null;
        int n = 5_000;
        try {
            int inPort = freePort();
            Path work = Files.createDirectories(dir.resolve("rsyslog"));
            Path conf = work.resolve("rsyslog.conf");
            Files.writeString(conf, String.join("\n",
                    "global(workDirectory=\"" + work + "\")",
                    "module(load=\"imtcp\")",
                    "module(load=\"omrelp\")",
                    "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" + inPort + "\")",
                    "action(type=\"omrelp\" target=\"127.0.0.1\" port=\"" + p.tcpPort() + "\" windowSize=\"1024\""
                            + " template=\"RSYSLOG_SyslogProtocol23Format\")",
                    ""));
            rsyslogd = new ProcessBuilder(RSYSLOGD.toString(), "-n", "-f", conf.toString(), "-i",
                    work.resolve("rsyslogd.pid").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(work.resolve("rsyslogd.out").toFile())
                    .start();
            Socket in = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (in == null) {
                try {
                    in = new Socket();
                    in.connect(new InetSocketAddress("127.0.0.1", inPort), 1_000);
                } catch (IOException e) {
                    in = null;
                    if (!rsyslogd.isAlive() || System.nanoTime() > deadline) {
                        throw new AssertionError("rsyslogd did not open its imtcp port: "
                                + Files.readString(work.resolve("rsyslogd.out")), e);
                    }
                    Thread.sleep(20); // polling for the daemon's port, not waiting for an outcome
                }
            }
            try (Socket s = in; OutputStream out = s.getOutputStream()) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    sb.append("<14>Mar 10 12:00:00 host1 rsyslogtest: line ").append(i).append('\n');
                }
                out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            awaitCondition(Duration.ofSeconds(60), n + " records received over RELP",
                    () -> p.stats().receivedTotal() >= n);
            awaitCondition(Duration.ofSeconds(30), "every record acknowledged to omrelp",
                    () -> p.ackStats().acksSent() >= n);
        } finally {
            if (rsyslogd != null) {
                rsyslogd.destroy();
                if (!rsyslogd.waitFor(10, TimeUnit.SECONDS)) {
                    rsyslogd.destroyForcibly();
                }
            }
            p.shutdown();
        }
        List<ReadRecord> all = readJournal(journal);
        assertEquals(n, all.size(), "each line stored once");
        for (int i = 0; i < n; i++) {
            // rsyslog keeps the space after the 3164 tag in its msg property
            assertEquals("line " + i, all.get(i).record().message().strip());
            assertEquals("rsyslogtest", all.get(i).record().service());
        }
    }
}
