package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.ListenerConfig;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.RejectReason;
import dev.logpipe.testsupport.TestCertificates;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.ReadRecord;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code logpipe send} end to end against an in-process server: it exits 0 only when the server
 * read every line, and 1, saying why, when it cannot know that (a TLS listener reached without
 * {@code --tls}, a connection refused over {@code --max-connections}, a connection cut by
 * {@code --oversize close}).
 */
@Timeout(120)
class SendToServerTest {

    @TempDir
    static Path certDir;
    static TestCertificates certs;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.make(certDir);
    }

    private static ListenerConfig.Builder textListener() {
        return ListenerConfig.builder().port(0).wireFormat(WireFormat.TEXT);
    }

    private static CliRun send(String stdin, String... args) {
        String[] full = new String[args.length + 1];
        full[0] = "send";
        System.arraycopy(args, 0, full, 1, args.length);
        return CliRun.run(cl -> ((SendCommand) cl.getSubcommands().get("send").getCommand()).stdin =
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), full);
    }

    private static List<String> messages(Path journal) {
        List<String> m = new ArrayList<>();
        try (JournalReader r = JournalReader.open(journal)) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                m.add(rr.record().message());
            }
        }
        return m;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5); // polling a condition; the deadline bounds the wait
        }
    }

    @Test
    void overTlsEveryLineIsStored() throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).listener(textListener().tls(certs.serverCert, certs.serverKey).build()).start()) {
            CliRun r = send("one\ntwo\n", "--port", Integer.toString(p.tcpPort()), "--format", "text",
                    "--tls-ca", certs.serverCert.toString());
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.err().startsWith("sent 2 records ("), r.toString());
            assertTrue(r.err().contains("over TLS; the server read them all"), r.toString());
            await("two records", () -> p.stats().writtenRecords() == 2);
        }
        assertEquals(List.of("one", "two"), messages(dir));
    }

    @Test
    void clientCertificateIsPresentedWhenTheServerRequiresOne() throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).listener(textListener().tls(certs.serverCert, certs.serverKey)
                .tlsTrustedClientCerts(certs.clientCert).build()).start()) {
            String port = Integer.toString(p.tcpPort());
            CliRun r = send("mutual\n", "--port", port, "--format", "text", "--tls", "--tls-ca", certs.serverCert.toString(),
                    "--tls-cert", certs.clientCert.toString(), "--tls-key", certs.clientKey.toString());
            assertEquals(0, r.code(), r.toString());

            r = send("anonymous\n", "--port", port, "--format", "text", "--tls-ca", certs.serverCert.toString());
            assertEquals(1, r.code(), r.toString());
            await("one record", () -> p.stats().writtenRecords() == 1);
        }
        assertEquals(List.of("mutual"), messages(dir));
    }

    @Test
    void mismatchedClientKeyIsAUsageErrorNamingBothFiles() {
        CliRun r = send("x\n", "--port", "1", "--tls-ca", certs.serverCert.toString(),
                "--tls-cert", certs.clientCert.toString(), "--tls-key", certs.strayKey.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("logpipe send: TLS key " + certs.strayKey + " does not belong to certificate "
                + certs.clientCert), r.toString());
    }

    @Test
    void plainSendToATlsListenerFailsAndSaysToPassTls() throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).listener(textListener().tls(certs.serverCert, certs.serverKey).build()).start()) {
            CliRun r = send("lost\n", "--port", Integer.toString(p.tcpPort()), "--format", "text");
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().startsWith("logpipe send: sent 1 record to 127.0.0.1:" + p.tcpPort() + ", but "), r.toString());
            assertTrue(r.err().contains("it is a TLS listener (then pass --tls)"), r.toString());
            await("the failed handshake counted", () -> p.stats().tlsFailures() == 1);
            assertEquals(0, p.stats().receivedTotal());
        }
    }

    @Test
    void connectionRefusedOverMaxConnectionsFails() throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).listener(textListener().maxConnections(1).build()).start();
             Socket holder = new Socket(InetAddress.getLoopbackAddress(), p.tcpPort())) {
            await("the first connection accepted", () -> p.stats().acceptedConnections() == 1);
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < 100; i++) {
                lines.append("refused ").append(i).append('\n');
            }
            CliRun r = send(lines.toString(), "--port", Integer.toString(p.tcpPort()), "--format", "text");
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("over its --max-connections"), r.toString());
            assertEquals(1, p.stats().refusedConnections());
            assertEquals(0, p.stats().receivedTotal());
            assertTrue(holder.isConnected());
        }
    }

    @Test
    void connectionClosedForAnOversizedLineFails() throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).listener(textListener().maxFrameBytes(64)
                .oversizePolicy(OversizePolicy.CLOSE).build()).start()) {
            String lines = "before\n" + "x".repeat(200) + "\nafter 1\nafter 2\n";
            CliRun r = send(lines, "--port", Integer.toString(p.tcpPort()), "--format", "text");
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("--oversize close"), r.toString());
            await("the record before the oversized line", () -> p.stats().writtenRecords() == 1);
        }
        assertEquals(List.of("before"), messages(dir));
    }

    @Test
    void invalidUtf8GoesAsItIsAndTheServerCountsIt() throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).listener(textListener().build()).start()) {
            CliRun r = CliRun.run(cl -> ((SendCommand) cl.getSubcommands().get("send").getCommand()).stdin =
                    new ByteArrayInputStream(new byte[] {'c', 'a', 'f', (byte) 0xe9, '\n'}),
                    "send", "--port", Integer.toString(p.tcpPort()), "--format", "text");
            assertEquals(0, r.code(), r.toString());
            await("one record", () -> p.stats().writtenRecords() == 1);
            assertEquals(1L, p.stats().rejected(RejectReason.INVALID_UTF8), p.stats().rejected().toString());
        }
    }
}
