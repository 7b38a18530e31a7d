package dev.logpipe.collector.internal.ingest;

import static dev.logpipe.collector.internal.ingest.Harness.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.LogRecord;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Who ended the connection decides the fate of an unterminated last frame: the client's EOF
 * (half-close) delivers it; a close by the server or a reset counts it {@code incomplete_frame} and
 * stores nothing of it. Complete frames are delivered in every case.
 */
class EndOfInputTest {

    private static final IngestDecoderConfig TEXT = IngestDecoderConfig.defaults().withFormat(WireFormat.TEXT);
    private static final IngestDecoderConfig JSON = IngestDecoderConfig.defaults().withFormat(WireFormat.JSON);
    private static final IngestDecoderConfig SYSLOG = IngestDecoderConfig.defaults().withFormat(WireFormat.SYSLOG);
    private static final IngestDecoderConfig AUTO = IngestDecoderConfig.defaults();

    private static List<String> messages(List<LogRecord> records) {
        return records.stream().map(LogRecord::message).toList();
    }

    /** Swallows what reaches the end of the pipeline's exceptionCaught, as the server's last handler does. */
    private static final class ExceptionSink extends ChannelInboundHandlerAdapter {
        final List<Throwable> caught = new ArrayList<>();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            caught.add(cause);
        }
    }

    /** Writes {@code input} split in two at {@code split} (0: whole). */
    private static Harness written(IngestDecoderConfig cfg, byte[] input, int split) {
        Harness h = new Harness(cfg);
        if (split == 0) {
            h.write(input);
        } else {
            h.write(java.util.Arrays.copyOfRange(input, 0, split));
            h.write(java.util.Arrays.copyOfRange(input, split, input.length));
        }
        return h;
    }

    @Test
    void clientEofDeliversTheUnterminatedTailAsItsLastRecord() {
        Harness h = Harness.of(WireFormat.TEXT);
        h.write("a\nabc");
        assertEquals(List.of("a"), messages(h.drain()));
        h.channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(List.of("abc"), messages(h.drain()));
        assertEquals(List.of(), h.close(), "delivered once, not again at the close that follows");
        assertEquals(List.of("decoded TEXT 1", "decoded TEXT 3"), h.observer.events);
    }

    @Test
    void serverCloseCountsTheTailIncompleteAndStoresNothingOfIt() {
        byte[] input = utf8("one\ntwo\r\nthe cut fra");
        for (int split = 0; split < input.length; split++) {
            Harness h = written(TEXT, input, split);
            List<LogRecord> records = h.close();
            assertEquals(List.of("one", "two"), messages(records), "split at " + split);
            assertEquals(List.of("decoded TEXT 3", "decoded TEXT 3", "rejected incomplete_frame"), h.observer.events,
                    "split at " + split);
        }
    }

    @Test
    void serverCloseRightAfterACompleteFrameCountsNothing() {
        Harness h = Harness.of(WireFormat.TEXT);
        h.write("one\ntwo\n");
        assertEquals(List.of("one", "two"), messages(h.close()));
        assertEquals(0, h.observer.count("rejected"));

        Harness blank = Harness.of(WireFormat.TEXT);
        blank.write("one\n \r");
        assertEquals(List.of("one"), messages(blank.close()));
        assertEquals(0, blank.observer.count("rejected"), "a blank tail is framing noise, not a frame");
    }

    @Test
    void serverCloseOfAJsonConnectionDropsTheHalfObject() {
        Harness h = new Harness(JSON);
        h.write("{\"msg\":\"whole\"}\n{\"msg\":\"ha");
        List<LogRecord> records = h.close();
        assertEquals(List.of("whole"), messages(records));
        assertEquals(List.of("incomplete_frame"), h.observer.rejections(), "not stored raw as invalid_json");
    }

    @Test
    void serverCloseWhileFramesAreHeldForBackpressureFiresTheCompleteOnesOnly() {
        Harness h = Harness.of(WireFormat.TEXT);
        List<String> seen = new ArrayList<>();
        h.channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                seen.add((msg instanceof AppendRequest r ? r.record() : (LogRecord) msg).message());
                ctx.channel().config().setAutoRead(false);
            }
        });
        h.write("1\n2\n3\n4");
        assertEquals(List.of("1"), seen, "the rest is held");
        h.close();
        assertEquals(List.of("1", "2", "3"), seen, "held complete frames are fired at the close, the cut one is not");
        assertEquals(1, h.observer.count("rejected incomplete_frame"));
    }

    @Test
    void octetCountedBodyCutByTheServerIsCountedAndNotStoredRaw() {
        String whole = "<13>1 - h a - - - whole";
        Harness h = new Harness(SYSLOG);
        h.write(whole.length() + " " + whole + "100 <13>1 - h a - - - partial");
        List<LogRecord> records = h.close();
        assertEquals(List.of("whole"), messages(records));
        assertEquals(List.of("incomplete_frame"), h.observer.rejections());

        // The same bytes ended by the client: the cut body is its last frame, stored raw and flagged.
        Harness eof = new Harness(SYSLOG);
        eof.write(whole.length() + " " + whole + "100 <13>1 - h a - - - partial");
        assertEquals(2, eof.finish().size());
        assertEquals(List.of("incomplete_frame"), eof.observer.rejections());
    }

    @Test
    void serverCloseBeforeTheSnifferDecidedCountsTheBytesIncomplete() {
        Harness h = new Harness(AUTO);
        h.write("<13");
        assertEquals(List.of(), h.close());
        assertEquals(List.of("incomplete_frame"), h.observer.rejections());
    }

    @Test
    void resetDoesNotStoreTheTailEvenIfAnInputShutdownFollows() {
        // With ALLOW_HALF_CLOSURE, a read error (connection reset by peer) is fired as exceptionCaught
        // and, unless a handler closes the channel first, followed by ChannelInputShutdownEvent.
        for (IngestDecoderConfig cfg : List.of(TEXT, AUTO)) {
            Harness h = new Harness(cfg);
            ExceptionSink sink = new ExceptionSink();
            h.channel.pipeline().addLast(sink);
            h.write("a 1\na 2\n");
            h.write("partial-frame-without-end");
            h.channel.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
            h.channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            List<LogRecord> records = h.close();
            assertEquals(List.of("a 1", "a 2"), messages(records), cfg.format().toString());
            assertEquals(List.of("incomplete_frame"), h.observer.rejections(), cfg.format().toString());
            assertEquals(1, sink.caught.size(), "the exception still reaches the server's handler");
        }
    }

    @Test
    void resetBeforeTheSnifferDecidedStoresNothing() {
        Harness h = new Harness(AUTO);
        ExceptionSink sink = new ExceptionSink();
        h.channel.pipeline().addLast(sink);
        h.write("12");
        h.channel.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        h.channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(List.of(), h.close());
        assertEquals(List.of("incomplete_frame"), h.observer.rejections());
        assertTrue(sink.caught.get(0) instanceof IOException);
    }

    @Test
    void resetThatClosesTheChannelStoresNothingOfTheTail() {
        Harness h = Harness.of(WireFormat.TEXT);
        h.channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close(); // what the server's BackpressureHandler does
            }
        });
        h.write("x 1\nx 2");
        h.channel.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        assertEquals(List.of("x 1"), messages(h.close()));
        assertEquals(List.of("incomplete_frame"), h.observer.rejections());
    }
}
