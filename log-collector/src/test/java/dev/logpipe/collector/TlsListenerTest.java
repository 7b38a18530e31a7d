package dev.logpipe.collector;

import dev.logpipe.testsupport.TestCertificates;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.SourceFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;

import static dev.logpipe.collector.TestSupport.awaitCondition;
import static dev.logpipe.collector.TestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS on a listener, with certificates made for the test by the JDK's {@code keytool} (in a child
 * process) and written out as PEM files, as an operator would give them.
 */
class TlsListenerTest {

    private static final char[] PASSWORD = TestCertificates.PASSWORD;

    @TempDir
    static Path certs;
    static TestCertificates made;
    static KeyStore serverStore;
    static KeyStore clientStore;
    static Path serverCert;
    static Path serverKey;
    static Path clientCert;

    @BeforeAll
    static void makeCertificates() throws Exception {
        made = TestCertificates.make(certs);
        serverStore = made.serverStore;
        clientStore = made.clientStore;
        serverCert = made.serverCert;
        serverKey = made.serverKey;
        clientCert = made.clientCert;
    }

    /** A client context that trusts the server's certificate and, if {@code withClientCert}, presents one. */
    private static SSLContext clientContext(boolean withClientCert) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        Certificate server = serverStore.getCertificate("server");
        trust.setCertificateEntry("server", server);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (withClientCert) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(clientStore, PASSWORD);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private static void sendOverTls(SSLContext ctx, int port, String text) throws IOException {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            OutputStream out = s.getOutputStream();
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
            // Read until the server closes (TLS needs a live read to surface a rejected client certificate).
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
                // nothing is expected from the server
            }
        }
    }

    @Test
    @Timeout(60)
    void recordsArriveOverTls(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir)
                .listener(TcpIngestTest.textListener().tls(serverCert, serverKey).build()).start()) {
            sendOverTls(clientContext(false), p.tcpPort(), "secure 0\nsecure 1\n");
            awaitCondition(Duration.ofSeconds(20), "two records", () -> p.stats().received(SourceFormat.TEXT) == 2);
            assertEquals(0, p.stats().tlsFailures());
        }
        List<ReadRecord> journal = readJournal(dir);
        assertEquals(List.of("secure 0", "secure 1"), journal.stream().map(r -> r.record().message()).toList());
    }

    @Test
    @Timeout(60)
    void plainTextClientOnATlsListenerStoresNothing(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir)
                .listener(TcpIngestTest.textListener().tls(serverCert, serverKey).build()).start()) {
            try (java.net.Socket s = TestSupport.connect(p.listenerAddresses().get(0))) {
                TestSupport.write(s, "not tls at all, just text\n");
                assertTrue(TestSupport.awaitServerClose(s, Duration.ofSeconds(10)));
            }
            awaitCondition(Duration.ofSeconds(10), "counted as a TLS failure", () -> p.stats().tlsFailures() == 1);
            assertEquals(0, p.stats().receivedTotal());
        }
    }

    @Test
    @Timeout(60)
    void clientCertificateRequiredRefusesClientsWithoutOne(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir)
                .listener(TcpIngestTest.textListener().tls(serverCert, serverKey)
                        .tlsTrustedClientCerts(clientCert).build()).start()) {
            assertThrows(IOException.class, () -> sendOverTls(clientContext(false), p.tcpPort(), "anonymous 0\n"));
            awaitCondition(Duration.ofSeconds(10), "refused handshake counted", () -> p.stats().tlsFailures() >= 1);

            sendOverTls(clientContext(true), p.tcpPort(), "trusted 0\n");
            awaitCondition(Duration.ofSeconds(20), "trusted client stored",
                    () -> p.stats().received(SourceFormat.TEXT) == 1);
        }
        List<ReadRecord> journal = readJournal(dir);
        assertEquals(List.of("trusted 0"), journal.stream().map(r -> r.record().message()).toList());
    }

    @Test
    void keyThatDoesNotBelongToTheCertificateIsAStartErrorNamingBothFiles(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> LogPipeline.builder(dir)
                .listener(TcpIngestTest.textListener().tls(serverCert, made.strayKey).build()).start());
        assertEquals("TLS key " + made.strayKey + " does not belong to certificate " + serverCert
                + " (CN=localhost); give the key the certificate was issued for", e.getMessage());
    }

    @Test
    void bindAddressThatDoesNotResolveSaysSoInsteadOfNull(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> LogPipeline.builder(dir)
                .listener(TcpIngestTest.textListener().bindAddress("999.1.1.1").build()).start());
        assertEquals("cannot listen on 999.1.1.1:0: the address does not resolve; check the bind address", e.getMessage());
    }

    @Test
    void missingCertificateFileIsAClearStartError(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> LogPipeline.builder(dir)
                .listener(TcpIngestTest.textListener().tls(certs.resolve("nope.crt"), serverKey).build()).start());
        assertTrue(e.getMessage().contains("nope.crt"), e.getMessage());
    }
}
