package dev.logpipe.bench.load;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Counts the lines of a peer server's output file as it grows, reading only the new bytes each
 * time; optionally passes each complete line's send stamp ({@link Corpus#parseStamp}) to a sink,
 * for the peer's send-to-file latency.
 *
 * <p>Threading: confined to the thread that polls.
 */
final class LineFileProbe implements AutoCloseable {

    /** Receives the stamp of each line as it is counted. */
    interface StampSink {
        void line(long stamp);
    }

    private static final byte[] KEY = Corpus.STAMP_KEY.getBytes(StandardCharsets.US_ASCII);

    private final Path file;
    private final StampSink stamps;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
    private FileChannel ch;
    private long lines;
    // Incremental match of STAMP_KEY then STAMP_DIGITS digits, so that no line is ever copied. KEY has
    // no repeated prefix, so on a mismatch the match restarts at 0 (or 1 if the byte starts the key).
    private int matched;
    private int digits = -1;
    private long stamp;

    LineFileProbe(Path file, StampSink stamps) {
        this.file = file;
        this.stamps = stamps;
    }

    /** Lines seen so far (0 while the file does not exist yet). */
    long read() throws IOException {
        if (ch == null) {
            if (!Files.exists(file)) {
                return 0;
            }
            ch = FileChannel.open(file, StandardOpenOption.READ);
        }
        while (true) {
            buf.clear();
            int n = ch.read(buf);
            if (n <= 0) {
                return lines;
            }
            buf.flip();
            while (buf.hasRemaining()) {
                byte b = buf.get();
                if (b == '\n') {
                    lines++;
                    if (stamps != null) {
                        stamps.line(digits == Corpus.STAMP_DIGITS ? stamp : -1);
                    }
                    matched = 0;
                    digits = -1;
                } else if (stamps != null) {
                    scan(b);
                }
            }
        }
    }

    private void scan(byte b) {
        if (digits >= 0) {
            if (digits < Corpus.STAMP_DIGITS && b >= '0' && b <= '9') {
                stamp = stamp * 10 + (b - '0');
                digits++;
            }
            return;
        }
        if (b == KEY[matched]) {
            if (++matched == KEY.length) {
                digits = 0;
                stamp = 0;
            }
        } else {
            matched = b == KEY[0] ? 1 : 0;
        }
    }

    @Override
    public void close() throws IOException {
        if (ch != null) {
            ch.close();
        }
    }
}
