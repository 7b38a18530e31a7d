package dev.logpipe.collector.internal.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.LogRecord;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a connection keeps between reads: its unfinished frame, not the read's buffer around it. */
class CumulationTest {

    private final TrackingAllocator alloc = new TrackingAllocator();

    @Test
    void aBufferReadToTheEndIsReleased() {
        ByteBuf b = alloc.directBuffer(64).writeBytes(new byte[10]);
        b.skipBytes(10);

        assertNull(Cumulation.afterPass(alloc, b));
        assertEquals(0, b.refCnt());
    }

    @Test
    void aShortTailInALargeBufferMovesIntoABufferOfItsSize() {
        ByteBuf read = alloc.directBuffer(128 * 1024);
        read.writeBytes(new byte[100_000]).writeBytes("{\"msg\":\"unfinis".getBytes(StandardCharsets.UTF_8));
        read.skipBytes(100_000);

        ByteBuf kept = Cumulation.afterPass(alloc, read);

        assertNotSame(read, kept);
        assertEquals(0, read.refCnt(), "the read's buffer is released");
        assertEquals("{\"msg\":\"unfinis", kept.toString(StandardCharsets.UTF_8), "the same bytes, in order");
        assertTrue(kept.capacity() < 64, "a buffer of the tail's size: " + kept.capacity());
        kept.release();
    }

    @Test
    void aBufferThatIsMostlyUnreadIsKept() {
        ByteBuf read = alloc.directBuffer(64 * 1024).writeBytes(new byte[60_000]);
        read.skipBytes(1_000);

        assertSame(read, Cumulation.afterPass(alloc, read), "copying most of a buffer to save little is not worth it");
        assertEquals(59_000, read.readableBytes());
        read.release();
    }

    @Test
    void whileFramesAreHeldBackTheBufferAtLeastHalvesAtEachMove() {
        // Held back by a full channel, each pass takes one 200-byte frame: the buffer shrinks with what is
        // left, and the bytes copied stay within about twice the read.
        ByteBuf b = alloc.directBuffer(128 * 1024).writeBytes(new byte[64 * 1024]);
        long copied = 0;
        int capacity = b.capacity();
        while (b != null && b.readableBytes() > 200) {
            b.skipBytes(200);
            ByteBuf next = Cumulation.afterPass(alloc, b);
            if (next != b) {
                assertTrue(next.capacity() <= capacity / 2 + Cumulation.MAX_SLACK, next.capacity() + " after " + capacity);
                copied += next.readableBytes();
                capacity = next.capacity();
            }
            assertTrue(next.capacity() - next.readableBytes() <= Math.max(Cumulation.MAX_SLACK, next.readableBytes()) + 200,
                    "slack bounded by the unread bytes: " + next);
            b = next;
        }
        assertTrue(copied <= 2L * 64 * 1024, "copied " + copied);
        b.release();
    }

    @Test
    void aConnectionBetweenReadsKeepsOnlyItsUnfinishedLine() {
        Harness h = Harness.of(WireFormat.JSON);
        StringBuilder chunk = new StringBuilder();
        int lines = 0;
        while (chunk.length() < 60_000) {
            chunk.append("{\"msg\":\"line ").append(lines++).append(" of a bulk sender's read\"}\n");
        }
        String unfinished = "{\"msg\":\"the last line, cut by the read";
        h.write(chunk + unfinished);
        List<LogRecord> first = h.drain();

        assertEquals(lines, first.size());
        assertTrue(h.heldCapacity() <= unfinished.length() + Cumulation.MAX_SLACK,
                "kept " + h.heldCapacity() + " bytes for a " + unfinished.length() + "-byte unfinished line");

        // The next read completes the line and brings more: every record whole and in order.
        h.write(" continues here\"}\n" + chunk + unfinished);
        List<LogRecord> second = h.drain();
        assertEquals("the last line, cut by the read continues here", second.get(0).message());
        assertEquals("line 0 of a bulk sender's read", second.get(1).message());
        assertEquals(lines + 1, second.size());
        assertTrue(h.heldCapacity() <= unfinished.length() + Cumulation.MAX_SLACK, "kept " + h.heldCapacity());

        List<LogRecord> rest = h.finish();
        assertEquals(List.of(unfinished), rest.stream().map(LogRecord::message).toList(),
                "the client's EOF ends the unfinished line, byte for byte (stored raw: it is not JSON)");
    }
}
