package dev.logpipe.collector.internal.ingest;

import static dev.logpipe.collector.internal.ingest.Harness.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** LF/CRLF framing, limits and flow control, seen through the plain-text format. */
class LineFramingTest {

    private static List<String> messages(List<LogRecord> records) {
        return records.stream().map(LogRecord::message).toList();
    }

    @Test
    void linesEndInLfOrCrLfAndTheTrailingLineIsDeliveredAtClose() {
        Harness.Result r = Harness.assertSplitInvariant(IngestDecoderConfig.defaults().withFormat(WireFormat.TEXT),
                utf8("one\ntwo\r\nthree\r\r\nfour"));
        assertEquals(List.of("one", "two", "three\r", "four"), messages(r.records()));
        assertEquals(List.of("decoded TEXT 3", "decoded TEXT 3", "decoded TEXT 6", "decoded TEXT 4"), r.events());
        LogRecord first = r.records().get(0);
        assertEquals(SourceFormat.TEXT, first.format());
        assertEquals("tcp:embedded", first.source());
        assertEquals(Harness.NOW, first.receiveTimeNanos());
        assertEquals(Harness.NOW, first.eventTimeNanos(), "no event time given: the receive time");
    }

    @Test
    void theFramesOfOneReadShareOneClockReadingAndTheNextReadTakesANewOne() {
        AtomicLong clock = new AtomicLong(Harness.NOW);
        Harness h = new Harness(IngestDecoderConfig.defaults().withFormat(WireFormat.JSON),
                () -> clock.addAndGet(1_000));
        // one read: two whole lines (one direct, one nested, so both ways of decoding) and half a third
        h.write("{\"msg\":\"a\"}\n{\"msg\":\"b\",\"ctx\":{\"k\":1}}\n{\"msg\":");
        List<LogRecord> first = h.drain();
        assertEquals(List.of("a", "b"), messages(first));
        long t1 = first.get(0).receiveTimeNanos();
        assertEquals(t1, first.get(1).receiveTimeNanos(), "one read, one reading");
        // the next read completes the third line: it takes that read's reading, not the first one's
        h.write("\"c\"}\n");
        List<LogRecord> second = h.drain();
        assertEquals(List.of("c"), messages(second));
        assertTrue(second.get(0).receiveTimeNanos() > t1, "a later read reads the clock again");
        assertEquals(clock.get(), second.get(0).receiveTimeNanos(), "one reading per read");
        h.finish();
    }

    @Test
    void emptyAndBlankLinesAreSkippedWithoutBeingCounted() {
        Harness.Result r = Harness.assertSplitInvariant(IngestDecoderConfig.defaults().withFormat(WireFormat.TEXT),
                utf8("\n\r\n  \t \na\n\n b \n\r\n"));
        assertEquals(List.of("a", " b "), messages(r.records()));
        assertEquals(List.of("decoded TEXT 1", "decoded TEXT 3"), r.events());
    }

    @Test
    void nonAsciiTextIsKeptExactly() {
        Harness.Result r = Harness.assertSplitInvariant(IngestDecoderConfig.defaults().withFormat(WireFormat.TEXT),
                utf8("grüße 𝄞 中文\nçava\n"));
        assertEquals(List.of("grüße 𝄞 中文", "çava"), messages(r.records()));
        assertTrue(r.records().get(0).flags().isEmpty());
    }

    @Test
    void invalidUtf8IsReplacedFlaggedCountedAndStored() {
        byte[] in = {'c', 'a', 'f', (byte) 0xE9, '\n', 'o', 'k', '\n'};
        Harness.Result r = Harness.assertSplitInvariant(IngestDecoderConfig.defaults().withFormat(WireFormat.TEXT), in);
        assertEquals(List.of("caf\uFFFD", "ok"), messages(r.records()));
        assertTrue(r.records().get(0).hasFlag(RecordFlag.INVALID_UTF8));
        assertFalse(r.records().get(0).hasFlag(RecordFlag.MALFORMED));
        assertEquals(List.of("rejected invalid_utf8", "decoded TEXT 4", "decoded TEXT 2"), r.events());
    }

    @Test
    void aFrameOfExactlyTheLimitIsWholeEvenWithCrLf() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.TEXT, 16, OversizePolicy.CLOSE,
                MalformedPolicy.STORE_RAW);
        Harness.Result r = Harness.assertSplitInvariant(cfg, utf8("0123456789abcdef\r\n0123456789abcdef\nx"));
        assertEquals(List.of("0123456789abcdef", "0123456789abcdef", "x"), messages(r.records()));
        assertFalse(r.records().get(0).hasFlag(RecordFlag.TRUNCATED));
    }

    @Test
    void truncateCutsTheFrameFlagsItAndSkipsToItsEnd() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.TEXT, 16, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        Harness.Result r = Harness.assertSplitInvariant(cfg,
                utf8("before\n0123456789abcdefTHE-REST-IS-SKIPPED\r\nafter\n0123456789abcdef\r-\n"));
        assertEquals(List.of("before", "0123456789abcdef", "after", "0123456789abcdef"), messages(r.records()));
        assertTrue(r.records().get(1).hasFlag(RecordFlag.TRUNCATED));
        assertFalse(r.records().get(2).hasFlag(RecordFlag.TRUNCATED));
        assertTrue(r.records().get(3).hasFlag(RecordFlag.TRUNCATED), "16 bytes, CR, '-': 18 bytes of content");
        assertEquals(List.of("decoded TEXT 6", "truncated TEXT", "decoded TEXT 16", "decoded TEXT 5",
                "truncated TEXT", "decoded TEXT 16"), r.events());
    }

    @Test
    void truncateNeverSplitsAUtf8Character() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.TEXT, 16, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        // 14 ASCII bytes, then '€' (3 bytes) straddles the limit: the cut backs off to 14 bytes.
        Harness.Result r = Harness.assertSplitInvariant(cfg, utf8("abcdefghijklmn€€€€\nok\n"));
        assertEquals(List.of("abcdefghijklmn", "ok"), messages(r.records()));
        assertFalse(r.records().get(0).hasFlag(RecordFlag.INVALID_UTF8));
        assertTrue(r.records().get(0).hasFlag(RecordFlag.TRUNCATED));
    }

    @Test
    void truncateDeliversAnEndlessFrameOnceAndNothingElseOfIt() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.TEXT, 16, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        Harness h = new Harness(cfg);
        h.write("start\n");
        for (int i = 0; i < 1000; i++) {
            h.write("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        }
        h.write("\nend\n");
        List<LogRecord> r = h.finish();
        assertEquals(List.of("start", "xxxxxxxxxxxxxxxx", "end"), messages(r));
        assertEquals(1, h.observer.count("truncated"));
    }

    @Test
    void closeDeliversWhatCameBeforeThenClosesTheConnection() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.TEXT, 16, OversizePolicy.CLOSE,
                MalformedPolicy.STORE_RAW);
        Harness.Result r = Harness.assertSplitInvariant(cfg,
                utf8("one\ntwo\n0123456789abcdefg\nnever\n"));
        assertEquals(List.of("one", "two"), messages(r.records()));
        assertEquals(List.of("decoded TEXT 3", "decoded TEXT 3", "rejected oversize"), r.events());

        Harness h = new Harness(cfg);
        h.write("one\n0123456789abcdefghij");
        assertEquals(List.of("one"), messages(h.drain()));
        assertFalse(h.channel.isOpen(), "closed without waiting for the end of the oversize frame");
        assertEquals(List.of(), h.finish());
    }

    @Test
    void halfCloseDeliversTheTrailingLine() {
        Harness h = Harness.of(WireFormat.TEXT);
        h.write("a\nunterminated");
        assertEquals(List.of("a"), messages(h.drain()));
        h.channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(List.of("unterminated"), messages(h.drain()));
        assertEquals(List.of(), h.finish(), "delivered once, not again at close");
    }

    @Test
    void messagesThatAreNotBuffersPassThrough() {
        Harness h = Harness.of(WireFormat.TEXT);
        h.channel.writeInbound("not a buffer");
        assertEquals("not a buffer", h.channel.readInbound());
        h.finish();
    }

    /** A downstream handler that applies backpressure: turns autoRead off on every record. */
    private static final class Backpressure extends ChannelInboundHandlerAdapter {
        final List<String> seen = new ArrayList<>();

        /** One at the end of {@code h}'s pipeline. */
        static Backpressure after(Harness h) {
            Backpressure bp = new Backpressure();
            h.channel.pipeline().addLast(bp);
            return bp;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            seen.add((msg instanceof AppendRequest r ? r.record() : (LogRecord) msg).message());
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Test
    void autoReadOffPausesDecodingUntilTheNextRead() {
        Harness h = Harness.of(WireFormat.TEXT);
        Backpressure bp = Backpressure.after(h);
        h.write("1\n2\n3\n4");
        assertEquals(List.of("1"), bp.seen, "one record, then the decoder holds the rest");
        h.channel.config().setAutoRead(true); // issues read(): one more buffered record
        assertEquals(List.of("1", "2"), bp.seen);
        h.channel.read();
        assertEquals(List.of("1", "2", "3"), bp.seen);
        h.channel.read(); // only the unterminated "4" is left: nothing to fire, the read goes to the transport
        assertEquals(List.of("1", "2", "3"), bp.seen);
        h.channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE); // the client's EOF
        h.channel.finish();
        assertEquals(List.of("1", "2", "3", "4"), bp.seen, "at the client's end of input every frame is fired");
        h.assertReleased();
    }

    @Test
    void aPauseAfterTheLastBufferedFrameDoesNotStickAcrossReads() {
        Harness h = Harness.of(WireFormat.TEXT);
        Backpressure bp = Backpressure.after(h);
        h.write("1\n");
        assertEquals(List.of("1"), bp.seen);
        h.channel.config().setAutoRead(true); // nothing held: the read goes to the transport
        h.write("2\n3\n"); // arrives while autoRead is on; the first record turns it off again
        assertEquals(List.of("1", "2"), bp.seen);
        h.channel.config().setAutoRead(true);
        assertEquals(List.of("1", "2", "3"), bp.seen);
        h.channel.config().setAutoRead(true);
        h.write("4\n");
        assertEquals(List.of("1", "2", "3", "4"), bp.seen);
        h.channel.finish();
        h.assertReleased();
    }

    @Test
    void aLineCutByTheLastReadIsCompletedFirstAndThenTheRestIsHeldByBackpressure() {
        // The read that completes a cut line decodes that line on its own, then the rest in its own
        // buffer; a pause after the completed line keeps the rest, in order, for the next read().
        Harness h = Harness.of(WireFormat.TEXT);
        Backpressure bp = Backpressure.after(h);
        h.write("one\ntw");
        assertEquals(List.of("one"), bp.seen);
        h.channel.config().setAutoRead(true);
        h.write("o\nthree\nfour\nfi");
        assertEquals(List.of("one", "two"), bp.seen, "the completed line, then a pause");
        h.channel.read();
        assertEquals(List.of("one", "two", "three"), bp.seen);
        h.channel.read();
        assertEquals(List.of("one", "two", "three", "four"), bp.seen);
        h.channel.config().setAutoRead(true);
        h.write("ve\nsix\n");
        h.channel.config().setAutoRead(true);
        h.channel.read();
        assertEquals(List.of("one", "two", "three", "four", "five", "six"), bp.seen);
        h.channel.finish();
        h.assertReleased();
    }

    @Test
    void whileAutoReadStaysOffEachReadGetsOneRecord() {
        Harness h = Harness.of(WireFormat.TEXT);
        Backpressure bp = Backpressure.after(h);
        h.channel.config().setAutoRead(false);
        h.write("a\nb\nc\n");
        assertEquals(List.of("a"), bp.seen, "data that arrives answers a read: one record");
        h.channel.read();
        h.channel.read();
        assertEquals(List.of("a", "b", "c"), bp.seen);
        h.channel.finish();
        h.assertReleased();
    }
}
