package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.SourceFormat;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class RelpFrameDecoderTest {

    private static final String OPEN_DATA = "relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog";
    private static final String MSG1 = "<13>1 2024-03-10T12:00:00Z web1 api 42 - - first message";
    private static final String MSG2 = "<11>Mar 10 12:00:01 web2 app[7]: second, with ünïcode";
    private static final String SESSION = frame(1, "open", OPEN_DATA) + frame(2, "syslog", MSG1)
            + frame(3, "syslog", MSG2) + "4 close 0\n";

    /** A decoder on an embedded channel whose buffers are all tracked for release. */
    private static final class Run {
        final TrackingAllocator alloc = new TrackingAllocator();
        final RecordingObserver observer = new RecordingObserver();
        final EmbeddedChannel channel = new EmbeddedChannel();

        Run(int maxFrameBytes) {
            this(maxFrameBytes, () -> Harness.NOW);
        }

        Run(int maxFrameBytes, LongSupplier clockNanos) {
            this(maxFrameBytes, clockNanos, OversizePolicy.TRUNCATE);
        }

        Run(int maxFrameBytes, OversizePolicy oversize) {
            this(maxFrameBytes, () -> Harness.NOW, oversize);
        }

        Run(int maxFrameBytes, LongSupplier clockNanos, OversizePolicy oversize) {
            channel.config().setAllocator(alloc);
            IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.SYSLOG, maxFrameBytes, oversize,
                    MalformedPolicy.STORE_RAW);
            channel.pipeline().addLast(RelpFrameDecoder.create(cfg, observer, clockNanos, ZoneOffset.UTC));
        }

        Run write(byte[] bytes, int from, int to) {
            ByteBuf b = alloc.directBuffer(Math.max(1, to - from)).writeBytes(bytes, from, to - from);
            channel.writeInbound(b);
            return this;
        }

        /** Ends the input as a client does, closes the channel, asserts every buffer released. */
        List<Object> finish() {
            channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            List<Object> out = new ArrayList<>();
            Object o;
            while ((o = channel.readInbound()) != null) {
                out.add(o);
            }
            channel.finishAndReleaseAll();
            for (ByteBuf b : alloc.allocated) {
                assertEquals(0, b.refCnt(), "a buffer was not released");
            }
            return out;
        }
    }

    @Test
    void theMessagesOfOneReadShareOneClockReading() {
        AtomicLong clock = new AtomicLong(Harness.NOW);
        Run r = new Run(1 << 20, () -> clock.addAndGet(1_000));
        byte[] one = (frame(1, "syslog", MSG1) + frame(2, "syslog", MSG2)).getBytes(StandardCharsets.UTF_8);
        byte[] two = frame(3, "syslog", MSG1).getBytes(StandardCharsets.UTF_8);
        r.write(one, 0, one.length);
        long afterFirst = clock.get();
        r.write(two, 0, two.length);
        List<Object> out = r.finish();
        assertEquals(3, out.size(), out.toString());
        long t1 = ((RelpFrame) out.get(0)).decoded().receiveTimeNanos();
        assertEquals(afterFirst, t1, "one reading for the first read");
        assertEquals(t1, ((RelpFrame) out.get(1)).decoded().receiveTimeNanos(), "direct and builder records alike");
        assertEquals(afterFirst + 1_000, ((RelpFrame) out.get(2)).decoded().receiveTimeNanos(), "the next read reads again");
    }

    static String frame(long txnr, String command, String data) {
        int len = data.getBytes(StandardCharsets.UTF_8).length;
        return txnr + " " + command + " " + len + (len == 0 ? "" : " " + data) + "\n";
    }

    private static List<Object> decode(String stream, int... cuts) {
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        Run r = new Run(1 << 20);
        int from = 0;
        for (int cut : cuts) {
            r.write(bytes, from, cut);
            from = cut;
        }
        r.write(bytes, from, bytes.length);
        return r.finish();
    }

    private static void assertSession(List<Object> out) {
        assertEquals(4, out.size(), out.toString());
        RelpFrame open = (RelpFrame) out.get(0);
        assertEquals(1, open.txnr());
        assertEquals("open", open.command());
        assertEquals(OPEN_DATA, open.text());
        RelpFrame m1 = (RelpFrame) out.get(1);
        assertEquals(2, m1.txnr());
        assertEquals(SourceFormat.SYSLOG_5424, m1.decoded().format());
        assertEquals("first message", m1.decoded().message());
        assertEquals("web1", m1.decoded().host());
        assertNotNull(m1.encoded(), "an RFC 5424 message goes straight into the journal layout");
        assertNull(m1.record());
        RelpFrame m2 = (RelpFrame) out.get(2);
        assertEquals(3, m2.txnr());
        assertEquals(SourceFormat.SYSLOG_3164, m2.decoded().format());
        assertEquals("second, with ünïcode", m2.decoded().message());
        assertNotNull(m2.record(), "RFC 3164 takes the builder's way");
        RelpFrame close = (RelpFrame) out.get(3);
        assertEquals(4, close.txnr());
        assertEquals("close", close.command());
        assertEquals("", close.text());
    }

    @Test
    void decodesASessionInOneChunk() {
        assertSession(decode(SESSION));
    }

    @Test
    void decodesTheSameFramesWhenSplitAtEveryByte() {
        int n = SESSION.getBytes(StandardCharsets.UTF_8).length;
        for (int cut = 1; cut < n; cut++) {
            assertSession(decode(SESSION, cut));
        }
    }

    @Test
    void decodesTheSameFramesWhenFedOneByteAtATime() {
        int n = SESSION.getBytes(StandardCharsets.UTF_8).length;
        int[] cuts = new int[n - 1];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        assertSession(decode(SESSION, cuts));
    }

    @Test
    void aLengthThatIsTooLongStopsTheStreamAfterTheGoodFrames() {
        String lying = "3 syslog 80 <13>short\n";
        List<Object> out = decode(frame(1, "open", OPEN_DATA) + frame(2, "syslog", MSG1) + lying + "4 syslog 5 hello\n"
                + "x".repeat(80));
        assertEquals(3, out.size(), out.toString());
        assertEquals(2, ((RelpFrame) out.get(1)).txnr());
        RelpProtocolError err = (RelpProtocolError) out.get(2);
        assertEquals(RelpProtocolError.BAD_LENGTH, err.reason());
    }

    @Test
    void aLengthThatIsTooShortIsAFramingError() {
        List<Object> out = decode("1 syslog 3 <13>hello\n2 syslog 5 hello\n");
        assertEquals(1, out.size(), out.toString());
        assertEquals(RelpProtocolError.BAD_LENGTH, ((RelpProtocolError) out.get(0)).reason());
    }

    /**
     * A syslog frame over the limit is cut, flagged and answered like any other, and exactly the rest of
     * it skipped, so the frames after it are read: closing the session for it left rsyslog's omrelp
     * retrying that message, and all behind it, for good (found with rsyslog 8.2302).
     */
    @Test
    void aSyslogFrameOverTheLimitIsTruncatedAndTheSessionGoesOn() {
        String big = "<13>1 2024-03-10T12:00:00Z web1 api 42 - - " + "x".repeat(30) + "é".repeat(40) + " the end";
        String stream = frame(1, "syslog", MSG1) + frame(2, "syslog", big) + frame(3, "syslog", MSG2);
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < bytes.length; cut++) {
            Run r = new Run(100);
            r.write(bytes, 0, cut);
            r.write(bytes, cut, bytes.length);
            List<Object> out = r.finish();
            assertEquals(3, out.size(), "split at " + cut + ": " + out);
            RelpFrame t = (RelpFrame) out.get(1);
            assertEquals(2, t.txnr());
            assertTrue(t.decoded().hasFlag(dev.logpipe.filesink.RecordFlag.TRUNCATED), t.decoded().toString());
            assertEquals("x".repeat(30) + "é".repeat(13), t.decoded().message(), "100 bytes, backed off to a whole character");
            assertEquals(3, ((RelpFrame) out.get(2)).txnr());
            assertEquals("second, with ünïcode", ((RelpFrame) out.get(2)).decoded().message());
        }
    }

    @Test
    void aLengthOverTheLimitIsRefusedUnderCloseAndForOtherCommands() {
        Run close = new Run(100, OversizePolicy.CLOSE);
        byte[] big = frame(1, "syslog", "<13>" + "x".repeat(200)).getBytes(StandardCharsets.US_ASCII);
        close.write(big, 0, big.length);
        List<Object> out = close.finish();
        assertEquals(RelpProtocolError.OVERSIZE, ((RelpProtocolError) out.get(0)).reason());
        Run open = new Run(100);
        byte[] offer = frame(1, "open", "relp_version=0\n" + "x".repeat(200)).getBytes(StandardCharsets.US_ASCII);
        open.write(offer, 0, offer.length);
        assertEquals(RelpProtocolError.OVERSIZE, ((RelpProtocolError) open.finish().get(0)).reason());
    }

    @Test
    void aLengthOverTheLimitIsRefusedBeforeItsDataArrives() {
        byte[] header = "1 syslog 999999 <13>".getBytes(StandardCharsets.US_ASCII);
        Run r = new Run(4096, OversizePolicy.CLOSE);
        r.write(header, 0, header.length);
        List<Object> out = r.finish();
        assertEquals(1, out.size());
        assertEquals(RelpProtocolError.OVERSIZE, ((RelpProtocolError) out.get(0)).reason());
        assertTrue(r.observer.rejections().contains(RejectReason.OVERSIZE.label()));
    }

    @Test
    void garbageAndOverlongFieldsAreBadHeaders() {
        for (String bad : new String[] {"GET / HTTP/1.1\r\n\r\n", "1234567890 syslog 1 a\n", "1 " + "a".repeat(33) + " 0\n",
                "1 syslog x\n", "1 sys-log 0\n", " 1 syslog 0\n", "1  syslog 0\n", "1 syslog 1234567890 a\n"}) {
            List<Object> out = decode(bad);
            assertEquals(1, out.size(), bad);
            assertEquals(RelpProtocolError.BAD_HEADER, ((RelpProtocolError) out.get(0)).reason(), bad);
        }
    }

    @Test
    void aZeroLengthFrameMayOmitTheSpaceAndAnEmptySyslogFrameHasNoRecord() {
        List<Object> out = decode("1 close 0\n2 syslog 0 \n3 syslog 2 \r\n\n");
        assertEquals(3, out.size(), out.toString());
        assertEquals("close", ((RelpFrame) out.get(0)).command());
        assertNull(((RelpFrame) out.get(1)).decoded());
        assertNull(((RelpFrame) out.get(2)).decoded());
    }

    @Test
    void aNonZeroLengthWithoutDataIsABadLength() {
        List<Object> out = decode("1 syslog 5\n");
        assertEquals(RelpProtocolError.BAD_LENGTH, ((RelpProtocolError) out.get(0)).reason());
    }

    @Test
    void anUnterminatedTailIsCountedIncompleteAndDropped() {
        Run r = new Run(1 << 20);
        byte[] b = (frame(1, "syslog", MSG1) + "2 syslog 10 <13>he").getBytes(StandardCharsets.UTF_8);
        r.write(b, 0, b.length);
        List<Object> out = r.finish();
        assertEquals(1, out.size());
        assertEquals(List.of(RejectReason.INCOMPLETE_FRAME.label()), r.observer.rejections());
    }

    @Test
    void aMalformedSyslogPayloadIsStoredRawAndStillAFrame() {
        List<Object> out = decode(frame(1, "syslog", "<99999>no priority here"));
        RelpFrame f = (RelpFrame) out.get(0);
        assertTrue(f.decoded().flags().toString().contains("MALFORMED"), f.decoded().toString());
        assertEquals("<99999>no priority here", f.decoded().message());
    }

    @Test
    void holdsFramesWhileAutoReadIsOffAndFiresThemOnRead() {
        Run r = new Run(1 << 20);
        byte[] b = SESSION.getBytes(StandardCharsets.UTF_8);
        r.channel.config().setAutoRead(false);
        r.write(b, 0, b.length);
        assertTrue(r.channel.readInbound() instanceof RelpFrame, "one frame per pass");
        assertNull(r.channel.readInbound(), "the rest is held while autoRead is off");
        r.channel.read();
        assertTrue(r.channel.readInbound() instanceof RelpFrame);
        assertNull(r.channel.readInbound());
        r.channel.config().setAutoRead(true);
        List<Object> rest = r.finish();
        assertEquals(2, rest.size());
        assertFalse(r.channel.isOpen());
    }
}
