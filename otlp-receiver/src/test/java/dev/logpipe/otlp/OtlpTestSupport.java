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
import java.nio.file.FileStore;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPOutputStream;

/** Helpers for the OTLP receiver's tests: raw HTTP posts, reading the journal, polling with a deadline. */
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

    static void awaitCondition(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            Thread.sleep(5); // polling interval, not a wait for an outcome
        }
    }

    /** A file store whose usable space a test sets: pauses and resumes the journal without filling a disk. */
    static final class FakeFileStore extends FileStore {
        private final AtomicLong usable;

        FakeFileStore(long usableBytes) {
            this.usable = new AtomicLong(usableBytes);
        }

        void usable(long bytes) {
            usable.set(bytes);
        }

        @Override
        public long getUsableSpace() {
            return usable.get();
        }

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public String type() {
            return "fake";
        }

        @Override
        public boolean isReadOnly() {
            return false;
        }

        @Override
        public long getTotalSpace() {
            return Long.MAX_VALUE;
        }

        @Override
        public long getUnallocatedSpace() {
            return usable.get();
        }

        @Override
        public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
            return false;
        }

        @Override
        public boolean supportsFileAttributeView(String name) {
            return false;
        }

        @Override
        public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
            return null;
        }

        @Override
        public Object getAttribute(String attribute) {
            throw new UnsupportedOperationException(attribute);
        }
    }
}
