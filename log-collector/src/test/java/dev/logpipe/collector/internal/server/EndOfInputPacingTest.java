package dev.logpipe.collector.internal.server;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.TryRecv;
import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.collector.internal.ingest.HeldBytes;
import dev.logpipe.collector.internal.ingest.IngestDecoderConfig;
import dev.logpipe.collector.internal.ingest.IngestDecoders;
import dev.logpipe.collector.internal.pipeline.PipelineCounters;
import dev.logpipe.filesink.AppendRequest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A line connection's buffered frames at its end, with a real {@link BackpressureHandler} and a journal
 * channel far smaller than what is buffered: a whole read of tiny lines is 32,768 records in 64 KiB,
 * and hundreds of connections decoding theirs at once ran the heap out.
 */
class EndOfInputPacingTest {

    private final PipelineCounters counters = new PipelineCounters();
    private final Mpsc.Channel<AppendRequest> journal = Mpsc.bounded(100);

    private EmbeddedChannel connection() {
        BackpressureHandler bp = new BackpressureHandler(journal.sender(), counters, new ConnectionTracker());
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.attr(HeldBytes.KEY).set(new ConnectionMemory(new MessageBudget(1 << 20), bp, () -> 1));
        IngestDecoders.install(ch.pipeline(), new IngestDecoderConfig(WireFormat.AUTO, 1 << 20,
                OversizePolicy.TRUNCATE, MalformedPolicy.STORE_RAW), counters);
        ch.pipeline().addLast(bp);
        return ch;
    }

    /** {@code n} lines "0", "1", ... in one buffer, about 6 bytes each. */
    private static byte[] lines(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Takes what the channel holds and lets the connection go on, until it has nothing more to give. */
    private List<String> drain(EmbeddedChannel ch) {
        List<String> out = new ArrayList<>();
        while (true) {
            assertTrue(counters.pendingRecords.sum() <= 2, "held outside the channel: " + counters.pendingRecords.sum());
            boolean got = false;
            for (TryRecv<AppendRequest> r; (r = journal.receiver().tryRecv()) instanceof TryRecv.Value<AppendRequest> v; ) {
                out.add(v.value().record().message());
                got = true;
            }
            boolean ran = ch.hasPendingTasks();
            ch.runPendingTasks();
            if (!got && !ran) {
                return out;
            }
        }
    }

    @Test
    void afterTheClientsEofTheBufferedLinesGoNoFasterThanTheChannelTakesThem() {
        EmbeddedChannel ch = connection();
        ch.writeInbound(Unpooled.wrappedBuffer(lines(20_000))); // decoded until the channel is full
        assertFalse(ch.config().isAutoRead(), "the channel is full");
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        // the one that found the channel full, and the one each end-of-input pass fires: not the buffer's 19,900
        assertTrue(counters.pendingRecords.sum() <= 2, "held outside the channel: " + counters.pendingRecords.sum());
        assertTrue(ch.isActive(), "open until what it sent is in the channel");
        List<String> stored = drain(ch);
        assertEquals(20_000, stored.size());
        for (int i = 0; i < stored.size(); i++) {
            assertEquals(Integer.toString(i), stored.get(i));
        }
        ch.runPendingTasks();
        assertFalse(ch.isActive(), "closed once all of it is in the channel");
        ch.finishAndReleaseAll();
    }

    @Test
    void aConnectionClosedWithTheChannelFullLeavesTheRestOfItsBufferUndecoded() {
        EmbeddedChannel ch = connection();
        ch.writeInbound(Unpooled.wrappedBuffer(lines(20_000)));
        ch.close(); // a reset, or the server's close at a shutdown's grace deadline
        assertTrue(counters.pendingRecords.sum() <= 2, "held: " + counters.pendingRecords.sum());
        List<String> stored = drain(ch);
        assertTrue(stored.size() >= 100 && stored.size() <= 102, "what fitted, in order: " + stored.size());
        for (int i = 0; i < stored.size(); i++) {
            assertEquals(Integer.toString(i), stored.get(i));
        }
        long received = counters.receivedRecords().values().stream().mapToLong(Long::longValue).sum();
        assertEquals(stored.size(), received, "the rest was never decoded: not received, not lost");
        assertTrue(counters.lost().isEmpty());
        assertEquals(java.util.Map.of(dev.logpipe.collector.RejectReason.INCOMPLETE_FRAME, 1L), counters.rejected(),
                "the undecoded rest counted once, as frames held at a close are");
        ch.finishAndReleaseAll();
    }
}
