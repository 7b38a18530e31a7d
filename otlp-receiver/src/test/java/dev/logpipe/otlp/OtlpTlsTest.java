package dev.logpipe.otlp;

import dev.logpipe.collector.LogPipeline;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.testsupport.TestCertificates;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    @TempDir
    Path dir;

    @Test
    void theExporterSendsOverHttpsAndPlainHttpIsNotAnswered() throws Exception {
        Path certs = Files.createDirectories(dir.resolve("certs"));
        Path data = dir.resolve("data");
        TestCertificates certificates = TestCertificates.make(certs);
        Path[] pem = {certificates.serverCert, certificates.serverKey};
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
