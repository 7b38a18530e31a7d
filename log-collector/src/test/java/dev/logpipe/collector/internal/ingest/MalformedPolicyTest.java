package dev.logpipe.collector.internal.ingest;

import static dev.logpipe.collector.internal.ingest.Harness.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Bad frames are counted and stored raw or dropped; the good frames around them are delivered. */
class MalformedPolicyTest {

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static final byte[] GARBAGE = {0, 1, 2, (byte) 0xFF, (byte) 0xFE, 'x', 0, 7, '\n'};

    @Test
    void storeRawKeepsTheBadFrameFlaggedWithItsReason() {
        IngestDecoderConfig cfg = IngestDecoderConfig.defaults().withFormat(WireFormat.JSON);
        byte[] in = concat(utf8("{\"msg\":\"a\"}\n{broken\n"), GARBAGE, utf8("{\"msg\":\"b\"}\n"));
        Harness.Result r = Harness.assertSplitInvariant(cfg, in);
        assertEquals(4, r.records().size());
        assertEquals("a", r.records().get(0).message());
        LogRecord broken = r.records().get(1);
        assertEquals("{broken", broken.message());
        assertEquals(FieldValue.string("invalid_json"), broken.fields().get("logpipe.error"));
        assertTrue(broken.hasFlag(RecordFlag.MALFORMED));
        assertEquals(SourceFormat.JSON, broken.format());
        LogRecord garbage = r.records().get(2);
        assertEquals(FieldValue.string("binary_garbage"), garbage.fields().get("logpipe.error"));
        assertEquals("\0\1\2\uFFFD\uFFFDx\0\7", garbage.message());
        assertTrue(garbage.hasFlag(RecordFlag.INVALID_UTF8));
        assertEquals("b", r.records().get(3).message());
        assertEquals(List.of("decoded JSON 11", "rejected invalid_json", "decoded JSON 7", "rejected binary_garbage",
                "decoded JSON 8", "decoded JSON 11"), r.events());
    }

    @Test
    void dropCountsTheBadFrameAndStoresOnlyTheGoodOnes() {
        for (WireFormat format : new WireFormat[] {WireFormat.JSON, WireFormat.SYSLOG, WireFormat.TEXT}) {
            IngestDecoderConfig cfg = new IngestDecoderConfig(format, 1 << 20, OversizePolicy.TRUNCATE,
                    MalformedPolicy.DROP);
            String good = format == WireFormat.JSON ? "{\"msg\":\"ok\"}" : format == WireFormat.SYSLOG
                    ? "<13>1 - h a - - - ok" : "ok";
            String bad = format == WireFormat.JSON ? "nope" : format == WireFormat.SYSLOG ? "<13>1 broken" : null;
            byte[] in = concat(utf8(good + "\n"), bad == null ? new byte[0] : utf8(bad + "\n"), GARBAGE,
                    utf8(good + "\n"));
            Harness.Result r = Harness.assertSplitInvariant(cfg, in);
            assertEquals(List.of("ok", "ok"), r.records().stream().map(LogRecord::message).toList(), format.name());
            List<String> rejected = r.events().stream().filter(e -> e.startsWith("rejected")).toList();
            assertEquals(bad == null ? List.of("rejected binary_garbage")
                    : List.of(format == WireFormat.JSON ? "rejected invalid_json" : "rejected bad_syslog_header",
                    "rejected binary_garbage"), rejected, format.name());
            assertEquals(2, r.events().stream().filter(e -> e.startsWith("decoded")).count());
        }
    }

    @Test
    void randomBytesNeverReachExceptionCaughtAndTheConnectionStaysOpen() {
        Random random = new Random(42);
        for (WireFormat format : WireFormat.values()) {
            for (int round = 0; round < 20; round++) {
                Harness h = new Harness(new IngestDecoderConfig(format, 256, OversizePolicy.TRUNCATE,
                        MalformedPolicy.STORE_RAW));
                List<Throwable> errors = new ArrayList<>();
                h.channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        errors.add(cause);
                    }
                });
                for (int chunk = 0; chunk < 8; chunk++) {
                    byte[] b = new byte[random.nextInt(300)];
                    random.nextBytes(b);
                    h.write(b);
                }
                assertTrue(h.channel.isOpen(), "bad input under TRUNCATE never closes the connection");
                h.write("{\"msg\":\"still here\"}\n<13>1 - h a - - - still here\n");
                List<LogRecord> records = h.finish();
                assertEquals(List.of(), errors, format + " round " + round);
                assertTrue(records.size() >= 1);
                long decoded = h.observer.count("decoded");
                assertEquals(records.size(), decoded, "one frameDecoded per record fired");
            }
        }
    }

    @Test
    void anInvalidUtf8FrameIsStoredEvenUnderDrop() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.TEXT, 1 << 20, OversizePolicy.TRUNCATE,
                MalformedPolicy.DROP);
        Harness.Result r = Harness.assertSplitInvariant(cfg, new byte[] {'a', 'b', 'c', (byte) 0xC3, '\n'});
        assertEquals(1, r.records().size());
        assertEquals("abc\uFFFD", r.records().get(0).message());
        assertEquals(List.of("rejected invalid_utf8", "decoded TEXT 4"), r.events());
    }
}
