package dev.logpipe.collector;

import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.ReadRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Test fixtures: polling with a deadline, reading a journal back, plain socket clients. */
final class TestSupport {

    private TestSupport() {
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes; fails with {@code what}. */
    static void awaitCondition(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            Thread.sleep(5); // polling interval, not a wait for an outcome
        }
    }

    /** Every record of the journal in {@code dir}, in index order (open it after the pipeline closed). */
    static List<ReadRecord> readJournal(Path dir) {
        List<ReadRecord> out = new ArrayList<>();
        try (JournalReader r = JournalReader.builder(dir).fromStart().build()) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                out.add(rr);
            }
        }
        return out;
    }

    static Socket connect(InetSocketAddress addr) throws IOException {
        Socket s = new Socket();
        s.connect(addr, 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    static void write(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /**
     * Waits until the server closes {@code s} (read sees end of stream or a reset); returns false if
     * it is still open after {@code timeout}. Discards anything the server sends.
     */
    static boolean awaitServerClose(Socket s, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[256];
        while (System.nanoTime() - deadline < 0) {
            s.setSoTimeout((int) Math.max(1, Math.min(500, (deadline - System.nanoTime()) / 1_000_000)));
            try {
                if (in.read(buf) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                // still open; keep waiting until the deadline
            } catch (IOException e) {
                return true; // connection reset: closed by the server
            }
        }
        return false;
    }
}
