package dev.logpipe.filesink.internal.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.internal.codec.RecordCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scanner following a segment a live writer appends to must not take its own out-of-date view of
 * a header for damage. Seen under load: a live reader reported "excerpt header is zero" and skipped
 * 2,528 records of a sound journal, because the header came from a read of the file made before the
 * writer reached it while the records after it came from a later read.
 */
class SegmentScannerLiveTest {

    @TempDir
    Path dir;

    @Test
    void aHeaderReadBeforeTheWriterReachedItIsReadAgainBeforeItIsCalledDamage() throws IOException {
        Path file = dir.resolve("segment.cq4");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1 << 20), 0); // a pre-sized file of zeros, as Chronicle's
            ch.write(ByteBuffer.wrap(excerpt(0)), 0);
        }
        int total = 3000; // well past the scanner's 64 KiB read window
        try (SegmentScanner sc = new SegmentScanner(file, 0, Long.MAX_VALUE >>> 1)) {
            SegmentScanner.Rec r0 = assertInstanceOf(SegmentScanner.Rec.class, sc.next(Long.MAX_VALUE));
            assertEquals(0, r0.index());
            // The writer appends after the scanner has read (and keeps) the zeros that followed record 0.
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                long at = r0.end();
                for (int i = 1; i < total; i++) {
                    byte[] e = excerpt(i);
                    ch.write(ByteBuffer.wrap(e), at);
                    at += e.length;
                }
                assertTrue(at > 2 * 65536, "the records reach past the window: " + at);
            }
            for (int i = 1; i < total; i++) {
                SegmentScanner.Step s = sc.next(Long.MAX_VALUE);
                int expected = i;
                SegmentScanner.Rec r = assertInstanceOf(SegmentScanner.Rec.class, s, () -> "record " + expected + ": " + s);
                assertEquals(i, r.index());
                assertEquals("record " + i, r.record().message());
            }
            assertInstanceOf(SegmentScanner.End.class, sc.next(Long.MAX_VALUE));
        }
    }

    /** One complete data excerpt: Chronicle's 4-byte header, then the record, padded to 4 bytes. */
    private static byte[] excerpt(long index) {
        Bytes<?> b = Bytes.allocateElasticOnHeap();
        try {
            new RecordCodec().write(b, LogRecord.builder().message("record " + index).receiveTimeNanos(1L).build(), index);
            byte[] body = b.toByteArray();
            ByteBuffer out = ByteBuffer.allocate((4 + body.length + 3) & ~3).order(ByteOrder.LITTLE_ENDIAN);
            out.putInt(body.length).put(body);
            return out.array();
        } finally {
            b.releaseLast();
        }
    }
}
