package dev.logpipe.otlp;

import dev.logpipe.collector.LogPipeline;
import dev.logpipe.filesink.ReadRecord;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.logpipe.otlp.OtlpTestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** OTLP over HTTPS: the SDK exporter trusting the server's certificate; plain HTTP to it fails. */
@Timeout(60)
class OtlpTlsTest {

    private static final String PASSWORD = "changeit";

    @TempDir
    Path dir;

    /** A self-signed EC certificate for 127.0.0.1 made by the JDK's keytool, written as PEM files. */
    private static Path[] serverPem(Path dir) throws Exception {
        Path store = dir.resolve("server.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname",
                "secp256r1", "-validity", "2", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        Path cert = pem(dir.resolve("server.crt"), "CERTIFICATE", ks.getCertificate("server").getEncoded());
        Path key = pem(dir.resolve("server.key"), "PRIVATE KEY",
                ((PrivateKey) ks.getKey("server", PASSWORD.toCharArray())).getEncoded());
        return new Path[] {cert, key};
    }

    private static Path pem(Path file, String type, byte[] der) throws IOException {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        Files.writeString(file, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n");
        return file;
    }

    @Test
    void theExporterSendsOverHttpsAndPlainHttpIsNotAnswered() throws Exception {
        Path certs = Files.createDirectories(dir.resolve("certs"));
        Path data = dir.resolve("data");
        Path[] pem = serverPem(certs);
        OtlpReceiver otlp = OtlpReceiver.builder().port(0).tls(pem[0], pem[1]).build();
        try (LogPipeline p = LogPipeline.builder(data).syncInterval(Duration.ofMillis(50)).receiver(otlp).start();
             OtlpHttpLogRecordExporter exporter = OtlpHttpLogRecordExporter.builder()
                     .setEndpoint("https://127.0.0.1:" + otlp.localAddress().getPort() + "/v1/logs")
                     .setTrustedCertificates(Files.readAllBytes(pem[0]))
                     .setRetryPolicy(RetryPolicy.builder().setMaxAttempts(2).setInitialBackoff(Duration.ofMillis(50)).build())
                     .build()) {
            CompletableResultCode r = exporter.export(OtlpExporterTest.records("secure", 3)).join(30, TimeUnit.SECONDS);
            assertTrue(r.isSuccess(), "export over TLS failed: " + r.getFailureThrowable());
            assertThrows(IOException.class, () -> OtlpTestSupport.post(OtlpTestSupport.logsUri(otlp.localAddress()),
                    "application/x-protobuf", null, new byte[0]), "plain HTTP to the TLS port");
            assertFalse(otlp.toString().startsWith("http://"));
        }
        List<String> messages = readJournal(data).stream().map(ReadRecord::record).map(r -> r.message()).toList();
        assertEquals(List.of("secure 0", "secure 1", "secure 2"), messages);
    }

    @Test
    void aMissingCertificateFileFailsTheStartSayingWhich() {
        OtlpReceiver otlp = OtlpReceiver.builder().port(0).tls(dir.resolve("nope.crt"), dir.resolve("nope.key")).build();
        IOException e = assertThrows(IOException.class, () -> LogPipeline.builder(dir.resolve("data")).receiver(otlp).start());
        assertTrue(e.getMessage().contains("nope.crt"), e.getMessage());
    }
}
