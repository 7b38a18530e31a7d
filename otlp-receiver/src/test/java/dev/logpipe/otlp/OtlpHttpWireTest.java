package dev.logpipe.otlp;

import dev.logpipe.collector.LogPipeline;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.logpipe.otlp.OtlpTestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP on the wire, as clients other than the JDK's send it: a chunked body without Content-Length
 * (the Node.js exporter), {@code Expect: 100-continue} (curl), pipelined requests answered in order,
 * and HTTP/1.0 without keep-alive.
 */
@Timeout(60)
class OtlpHttpWireTest {

    @TempDir
    Path dir;
    private OtlpReceiver otlp;
    private LogPipeline pipeline;

    @BeforeEach
    void start() throws IOException {
        otlp = OtlpReceiver.builder().port(0).build();
        pipeline = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(50)).receiver(otlp).start();
    }

    @AfterEach
    void stop() {
        pipeline.close();
    }

    private static byte[] body(String message) {
        return ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(
                ScopeLogs.newBuilder().addLogRecords(io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                        .setBody(AnyValue.newBuilder().setStringValue(message))))).build().toByteArray();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", otlp.localAddress().getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    private static byte[] head(String requestLine, String... headers) {
        StringBuilder sb = new StringBuilder(requestLine).append("\r\nHost: 127.0.0.1\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Reads one response: its status line and headers, and a body of its Content-Length. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed after: " + head);
            }
            head.append((char) c);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        in.readNBytes(length);
        return head.toString();
    }

    private List<String> closeAndRead() {
        pipeline.close();
        return readJournal(dir).stream().map(ReadRecord::record).map(LogRecord::message).toList();
    }

    @Test
    void aChunkedBodyWithoutContentLengthIsStored() throws Exception {
        byte[] b = body("chunked");
        int half = b.length / 2;
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(head("POST /v1/logs HTTP/1.1", "Content-Type: application/x-protobuf", "Transfer-Encoding: chunked"));
            out.write((Integer.toHexString(half) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b, 0, half);
            out.write(("\r\n" + Integer.toHexString(b.length - half) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b, half, b.length - half);
            out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertTrue(readResponse(s.getInputStream()).startsWith("HTTP/1.1 200"));
        }
        assertEquals(List.of("chunked"), closeAndRead());
    }

    @Test
    void expectContinueIsAnsweredThenTheBodyStored() throws Exception {
        byte[] b = body("continued");
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(head("POST /v1/logs HTTP/1.1", "Content-Type: application/x-protobuf",
                    "Content-Length: " + b.length, "Expect: 100-continue"));
            out.flush();
            assertTrue(readResponse(s.getInputStream()).startsWith("HTTP/1.1 100"));
            out.write(b);
            out.flush();
            assertTrue(readResponse(s.getInputStream()).startsWith("HTTP/1.1 200"));
        }
        assertEquals(List.of("continued"), closeAndRead());
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws Exception {
        byte[] all = new byte[0];
        String[] expected = {"200", "404", "200", "400", "200"};
        for (int i = 0; i < expected.length; i++) {
            byte[] b = expected[i].equals("400") ? new byte[] {0x0a, 0x7f} : body("p" + i);
            String path = expected[i].equals("404") ? "/v1/metrics" : "/v1/logs";
            all = concat(all, head("POST " + path + " HTTP/1.1", "Content-Type: application/x-protobuf",
                    "Content-Length: " + b.length), b);
        }
        try (Socket s = connect()) {
            s.getOutputStream().write(all); // every request at once, before any answer
            s.getOutputStream().flush();
            for (String status : expected) {
                String r = readResponse(s.getInputStream());
                assertTrue(r.startsWith("HTTP/1.1 " + status), "expected " + status + ", got " + r);
            }
        }
        assertEquals(List.of("p0", "p2", "p4"), closeAndRead());
    }

    @Test
    void http10WithoutKeepAliveIsAnsweredAndClosed() throws Exception {
        byte[] b = body("old");
        try (Socket s = connect()) {
            s.getOutputStream().write(concat(head("POST /v1/logs HTTP/1.0", "Content-Type: application/x-protobuf",
                    "Content-Length: " + b.length), b));
            InputStream in = s.getInputStream();
            String r = readResponse(in);
            assertTrue(r.contains(" 200 "), r);
            assertTrue(r.toLowerCase().contains("connection: close"), r);
            assertEquals(-1, in.read(), "closed after the answer");
        }
        assertEquals(List.of("old"), closeAndRead());
    }
}
