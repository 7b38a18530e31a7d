package dev.logpipe.otlp;

import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.ReadRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Helpers for the OTLP receiver's tests: raw HTTP posts and reading the journal. */
final class OtlpTestSupport {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private OtlpTestSupport() {
    }

    static URI logsUri(InetSocketAddress addr) {
        return uri(addr, "/v1/logs");
    }

    static URI uri(InetSocketAddress addr, String path) {
        return URI.create("http://127.0.0.1:" + addr.getPort() + path);
    }

    /** POSTs {@code body} with this content type (and {@code Content-Encoding} unless null). */
    static HttpResponse<byte[]> post(URI uri, String contentType, String contentEncoding, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (contentEncoding != null) {
            b.header("Content-Encoding", contentEncoding);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** POSTs protobuf {@code body} chunked ({@code Transfer-Encoding: chunked}, no length declared). */
    static HttpResponse<byte[]> postChunked(URI uri, byte[] body) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build();
        return HTTP.send(r, HttpResponse.BodyHandlers.ofByteArray());
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Every record of the journal in {@code dir}, in index order. */
    static List<ReadRecord> readJournal(Path dir) {
        List<ReadRecord> out = new ArrayList<>();
        try (JournalReader r = JournalReader.builder(dir).fromStart().build()) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                out.add(rr);
            }
        }
        return out;
    }
}
