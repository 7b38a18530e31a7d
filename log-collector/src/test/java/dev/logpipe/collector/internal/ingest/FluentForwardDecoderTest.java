package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

class FluentForwardDecoderTest {

    private static final long T = 1_710_072_000L; // 2024-03-10T12:00:00Z

    private static final class Run {
        final TrackingAllocator alloc = new TrackingAllocator();
        final RecordingObserver observer = new RecordingObserver();
        final EmbeddedChannel channel = new EmbeddedChannel();

        Run(MalformedPolicy policy, int maxFrame) {
            channel.config().setAllocator(alloc);
            IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.AUTO, maxFrame, OversizePolicy.TRUNCATE, policy);
            channel.pipeline().addLast(FluentForwardDecoder.create(cfg, observer, () -> Harness.NOW));
        }

        Run write(byte[] bytes, int from, int to) {
            ByteBuf b = alloc.directBuffer(Math.max(1, to - from)).writeBytes(bytes, from, to - from);
            channel.writeInbound(b);
            return this;
        }

        List<Object> finish() {
            channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            List<Object> out = new ArrayList<>();
            for (Object o; (o = channel.readInbound()) != null; ) {
                out.add(o);
            }
            channel.finishAndReleaseAll();
            for (ByteBuf b : alloc.allocated) {
                assertEquals(0, b.refCnt(), "a buffer was not released");
            }
            return out;
        }
    }

    private static List<Object> decode(byte[] bytes, int... cuts) {
        Run r = new Run(MalformedPolicy.STORE_RAW, 1 << 20);
        int from = 0;
        for (int c : cuts) {
            r.write(bytes, from, c);
            from = c;
        }
        r.write(bytes, from, bytes.length);
        return r.finish();
    }

    interface Packing {
        void pack(MessageBufferPacker p) throws IOException;
    }

    static byte[] packed(Packing f) throws IOException {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            f.pack(p);
            p.flush();
            return p.toByteArray();
        }
    }

    static void eventTime(MessageBufferPacker p, long sec, long nsec) throws IOException {
        byte[] d = new byte[8];
        for (int i = 0; i < 4; i++) {
            d[i] = (byte) (sec >>> (24 - 8 * i));
            d[4 + i] = (byte) (nsec >>> (24 - 8 * i));
        }
        p.packExtensionTypeHeader((byte) 0, 8);
        p.writePayload(d);
    }

    static void record(MessageBufferPacker p, String... kv) throws IOException {
        p.packMapHeader(kv.length / 2);
        for (String s : kv) {
            p.packString(s);
        }
    }

    static void entry(MessageBufferPacker p, int i) throws IOException {
        p.packArrayHeader(2);
        eventTime(p, T + i, 500);
        record(p, "message", "event " + i, "k", "v" + i);
    }

    /** One stream with all four modes: Message (int time, chunk as str), Forward (chunk as bin), PackedForward, gzip in two members. */
    static byte[] allModes() throws IOException {
        byte[] entries = packed(p -> {
            for (int i = 10; i < 13; i++) {
                entry(p, i);
            }
        });
        byte[] entries2 = packed(p -> {
            for (int i = 20; i < 22; i++) {
                entry(p, i);
            }
        });
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        for (byte[] member : new byte[][] {packed(p -> entry(p, 30)), packed(p -> entry(p, 31))}) {
            try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
                z.write(member);
            }
            // closing finishes one member; the next is appended after it
        }
        byte[] gzipped = gz.toByteArray();
        return packed(p -> {
            // Message
            p.packArrayHeader(4).packString("app.one").packLong(T);
            record(p, "log", "docker line\n", "container_id", "abc", "level", "warn", "host", "h1");
            p.packMapHeader(1).packString("chunk").packString("c1");
            // Forward
            p.packArrayHeader(3).packString("app.two").packArrayHeader(2);
            entry(p, 0);
            entry(p, 1);
            p.packMapHeader(2).packString("size").packInt(2).packString("chunk").packBinaryHeader(3);
            p.writePayload(new byte[] {1, 2, 3});
            // PackedForward as bin, no option
            p.packArrayHeader(2).packString("app.three").packBinaryHeader(entries.length);
            p.writePayload(entries);
            // PackedForward as str (old fluentd)
            p.packArrayHeader(3).packString("app.four").packRawStringHeader(entries2.length);
            p.writePayload(entries2);
            p.packMapHeader(0);
            // CompressedPackedForward, two gzip members
            p.packArrayHeader(3).packString("app.five").packBinaryHeader(gzipped.length);
            p.writePayload(gzipped);
            p.packMapHeader(2).packString("compressed").packString("gzip").packString("chunk").packString("c5");
        });
    }

    private static void assertAllModes(List<Object> out) {
        assertEquals(5, out.size(), out.toString());
        FluentMessage m1 = (FluentMessage) out.get(0);
        assertEquals("app.one", m1.tag());
        LogRecord r = m1.records().stream().map(EncodedRecord::decode).toList().get(0);
        assertEquals("docker line", r.message(), "Docker's log key is the message, its newline dropped");
        assertEquals("app.one", r.service(), "the tag is the service");
        assertEquals(Level.WARN, r.level());
        assertEquals("h1", r.host());
        assertEquals(T * 1_000_000_000L, r.eventTimeNanos());
        assertEquals(SourceFormat.FLUENT, r.format());
        assertTrue(r.toString().contains("container_id"), r.toString());
        assertEquals("c1", m1.chunk().asStringValue().asString());

        FluentMessage m2 = (FluentMessage) out.get(1);
        assertEquals(2, m2.records().stream().map(EncodedRecord::decode).toList().size());
        assertEquals("event 1", m2.records().stream().map(EncodedRecord::decode).toList().get(1).message());
        assertEquals((T + 1) * 1_000_000_000L + 500, m2.records().stream().map(EncodedRecord::decode).toList().get(1).eventTimeNanos(), "EventTime keeps nanoseconds");
        assertArrayEquals(new byte[] {1, 2, 3}, m2.chunk().asBinaryValue().asByteArray(), "a bin chunk stays bin");

        FluentMessage m3 = (FluentMessage) out.get(2);
        assertEquals(List.of("event 10", "event 11", "event 12"), m3.records().stream().map(EncodedRecord::decode).toList().stream().map(LogRecord::message).toList());
        assertNull(m3.chunk());
        FluentMessage m4 = (FluentMessage) out.get(3);
        assertEquals(List.of("event 20", "event 21"), m4.records().stream().map(EncodedRecord::decode).toList().stream().map(LogRecord::message).toList());
        assertNull(m4.chunk());
        FluentMessage m5 = (FluentMessage) out.get(4);
        assertEquals(List.of("event 30", "event 31"), m5.records().stream().map(EncodedRecord::decode).toList().stream().map(LogRecord::message).toList(),
                "both gzip members inflated");
        assertEquals("c5", m5.chunk().asStringValue().asString());
    }

    @Test
    void decodesEveryModeInOneChunk() throws IOException {
        assertAllModes(decode(allModes()));
    }

    @Test
    void decodesTheSameWhenSplitAtEveryByte() throws IOException {
        byte[] b = allModes();
        for (int cut = 1; cut < b.length; cut++) {
            assertAllModes(decode(b, cut));
        }
    }

    @Test
    void decodesTheSameWhenFedOneByteAtATime() throws IOException {
        byte[] b = allModes();
        int[] cuts = new int[b.length - 1];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        assertAllModes(decode(b, cuts));
    }

    @Test
    void aMessageCutByAReadKeepsOnlyItsOwnBytesBetweenReadsAndDecodesWhole() throws IOException {
        // A read (a 64 KiB buffer) holds one whole Forward message and the start of the next: between
        // reads the connection keeps that start in a buffer of its size, mid-message, and the next
        // read completes it.
        Packing forward = p -> {
            p.packArrayHeader(3).packString("app.bulk").packArrayHeader(300);
            for (int i = 0; i < 300; i++) {
                entry(p, i);
            }
            p.packMapHeader(1).packString("chunk").packString("c");
        };
        byte[] one = packed(forward);
        byte[] both = new byte[2 * one.length];
        System.arraycopy(one, 0, both, 0, one.length);
        System.arraycopy(one, 0, both, one.length, one.length);
        int cut = one.length + 3_000;
        Run r = new Run(MalformedPolicy.STORE_RAW, 1 << 20);
        ByteBuf read = r.alloc.directBuffer(64 * 1024).writeBytes(both, 0, cut);
        r.channel.writeInbound(read);

        long held = r.alloc.allocated.stream().filter(b -> b.refCnt() > 0).mapToLong(ByteBuf::capacity).sum();
        assertTrue(held <= 3_000 + Cumulation.MAX_SLACK, "kept " + held + " bytes for 3,000 of an unfinished message");
        r.write(both, cut, both.length);
        List<Object> out = r.finish();
        assertEquals(2, out.size(), out.toString());
        for (Object o : out) {
            FluentMessage m = (FluentMessage) o;
            assertEquals(300, m.records().stream().map(EncodedRecord::decode).toList().size());
            assertEquals("event 299", m.records().stream().map(EncodedRecord::decode).toList().get(299).message());
        }
    }

    @Test
    void aLargePackedMessageArrivingInReadsIsKeptInOneBufferOfItsSize() throws IOException {
        // 20,000 entries (~2.4 MB) in one PackedForward message, read 64 KiB at a time: once the bin
        // header is in, the message gets one buffer of its size; the reads fill it, no growing copies.
        MessageBufferPacker entries = MessagePack.newDefaultBufferPacker();
        for (int i = 0; i < 20_000; i++) {
            entry(entries, i);
        }
        byte[] payload = entries.toByteArray();
        byte[] msg = packed(p -> {
            p.packArrayHeader(3).packString("app.big").packBinaryHeader(payload.length);
            p.writePayload(payload);
            p.packMapHeader(1).packString("chunk").packString("big-1");
        });
        Run r = new Run(MalformedPolicy.STORE_RAW, 1 << 20);
        int read = 64 * 1024;
        r.write(msg, 0, read);
        int allocationsAfterFirstRead = r.alloc.allocated.size();
        long kept = r.alloc.allocated.stream().filter(b -> b.refCnt() > 0).mapToLong(ByteBuf::capacity).max().orElse(0);
        assertTrue(kept >= msg.length && kept <= msg.length + FluentForwardDecoder.OPTION_ROOM, "kept " + kept);
        for (int from = read; from < msg.length; from += read) {
            r.write(msg, from, Math.min(msg.length, from + read));
        }
        int reads = (msg.length + read - 1) / read;
        assertEquals(allocationsAfterFirstRead + reads - 1, r.alloc.allocated.size(),
                "one buffer per read, none to grow the message's");
        List<LogRecord> records = records(r.finish(), "big-1");
        assertEquals(20_000, records.size());
        assertEquals("event 19999", records.get(19_999).message());
    }

    @Test
    void aLargeMessageThatIsRefusedIsRefusedBeforeAnyOfItsParts() throws IOException {
        // 20,000 good entries (several parts' worth) then what refuses the message: nothing of it is fired
        MessageBufferPacker good = MessagePack.newDefaultBufferPacker();
        for (int i = 0; i < 20_000; i++) {
            entry(good, i);
        }
        byte[] entries = good.toByteArray();
        byte[] truncatedTail = new byte[entries.length + 2];
        System.arraycopy(entries, 0, truncatedTail, 0, entries.length);
        truncatedTail[entries.length] = (byte) 0x92; // an array of two, then one byte: the stream ends inside it
        truncatedTail[entries.length + 1] = (byte) 0x01;
        byte[] badInner = packed(p -> {
            p.packArrayHeader(2).packString("app").packBinaryHeader(truncatedTail.length);
            p.writePayload(truncatedTail);
        });
        byte[] badOption = packed(p -> {
            p.packArrayHeader(3).packString("app").packArrayHeader(20_000);
            for (int i = 0; i < 20_000; i++) {
                entry(p, i);
            }
            p.packString("not a map");
        });
        byte[] badCompression = packed(p -> {
            p.packArrayHeader(3).packString("app").packBinaryHeader(entries.length);
            p.writePayload(entries);
            p.packMapHeader(1).packString("compressed").packString("zstd");
        });
        for (byte[] msg : List.of(badInner, badOption, badCompression)) {
            List<Object> out = decode(msg);
            assertEquals(1, out.size(), out.toString());
            assertTrue(out.get(0) instanceof FluentProtocolError, out.toString());
        }
    }

    @Test
    void aLargeCompressedMessageComesInPartsInOrder() throws IOException {
        MessageBufferPacker entries = MessagePack.newDefaultBufferPacker();
        for (int i = 0; i < 30_000; i++) {
            entry(entries, i);
        }
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(entries.toByteArray());
        }
        byte[] gzipped = gz.toByteArray();
        byte[] msg = packed(p -> {
            p.packArrayHeader(3).packString("app.gz").packBinaryHeader(gzipped.length);
            p.writePayload(gzipped);
            p.packMapHeader(2).packString("compressed").packString("gzip").packString("chunk").packString("gz-1");
        });
        List<Object> out = decode(msg, msg.length / 3, 2 * msg.length / 3);
        assertTrue(out.size() > 1, "in parts: " + out.size());
        List<LogRecord> records = records(out, "gz-1");
        assertEquals(30_000, records.size());
        for (int i = 0; i < 30_000; i++) {
            assertEquals("event " + i, records.get(i).message());
        }
    }

    /**
     * The records of one message fired in parts: checks each part (its size bound, the message's tag and
     * chunk, only the last one marked last) and returns them all, in order.
     */
    static List<LogRecord> records(List<Object> out, String chunk) {
        List<LogRecord> all = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            FluentMessage part = (FluentMessage) out.get(i);
            assertEquals(i == out.size() - 1, part.last(), "only the last part completes the message");
            assertEquals(chunk, part.chunk() == null ? null : part.chunk().asStringValue().asString());
            assertTrue(part.records().stream().map(EncodedRecord::decode).toList().size() <= FluentForwardDecoder.PART_RECORDS);
            all.addAll(part.records().stream().map(EncodedRecord::decode).toList());
        }
        return all;
    }

    /**
     * ext 8/16/32 (an extension whose data is not 1, 2, 4, 8 or 16 bytes long, such as msgpack's
     * 12-byte timestamp, or an EventTime an encoder wrote in the long form): the scanner counted the
     * type byte twice and waited for a byte that was the next message's, so the message (and those
     * behind it) was never stored or acknowledged, and the client retried it forever.
     */
    @Test
    void longExtensionFormsAreScannedToTheirEnd() throws IOException {
        byte[] first = packed(p -> {
            p.packArrayHeader(3).packString("app.ext").packArrayHeader(2);
            // an EventTime in ext 8 form: 0xc7, length 8, type 0
            p.packArrayHeader(2);
            p.writePayload(new byte[] {(byte) 0xc7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 7});
            record(p, "message", "long event time");
            p.packArrayHeader(2);
            eventTime(p, T, 0);
            p.packMapHeader(2).packString("message").packString("a 12-byte timestamp inside");
            p.packString("ts96").packExtensionTypeHeader((byte) -1, 12); // ext 8
            p.writePayload(new byte[12]);
            p.packMapHeader(1).packString("chunk").packString("ext-1");
        });
        byte[] second = packed(p -> {
            p.packArrayHeader(4).packString("app.next").packLong(T);
            record(p, "message", "behind it");
            p.packMapHeader(1).packString("chunk").packString("next-1");
        });
        byte[] both = new byte[first.length + second.length];
        System.arraycopy(first, 0, both, 0, first.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        for (int cut = 1; cut < both.length; cut += 7) {
            List<Object> out = decode(both, cut);
            assertEquals(2, out.size(), "both messages, split at " + cut + ": " + out);
            List<LogRecord> ext = records(out.subList(0, 1), "ext-1");
            assertEquals(List.of("long event time", "a 12-byte timestamp inside"), ext.stream().map(LogRecord::message).toList());
            assertEquals(7, ext.get(0).eventTimeNanos(), "the long-form EventTime read as one: 0 s, 7 ns");
            assertEquals("behind it", records(out.subList(1, 2), "next-1").get(0).message());
        }
    }

    @Test
    void aRecordsOwnServiceAndMessageWinAndLogIsThenAField() throws IOException {
        byte[] b = packed(p -> {
            p.packArrayHeader(3).packString("tag").packLong(T);
            record(p, "service", "billing", "log", "raw", "msg", "the message");
        });
        LogRecord r = ((FluentMessage) decode(b).get(0)).records().stream().map(EncodedRecord::decode).toList().get(0);
        assertEquals("billing", r.service());
        assertEquals("the message", r.message());
        assertEquals("raw", r.fields().get("log").toString().replace("\"", ""), r.toString());
    }

    @Test
    void aMalformedEntryIsStoredRawAndTheRestOfTheMessageStill() throws IOException {
        byte[] b = packed(p -> {
            p.packArrayHeader(2).packString("tag").packArrayHeader(2);
            p.packArrayHeader(2).packString("not a time").packMapHeader(0);
            entry(p, 1);
        });
        FluentMessage m = (FluentMessage) decode(b).get(0);
        assertEquals(2, m.records().stream().map(EncodedRecord::decode).toList().size());
        assertTrue(m.records().stream().map(EncodedRecord::decode).toList().get(0).flags().contains(RecordFlag.MALFORMED));
        assertEquals("event 1", m.records().stream().map(EncodedRecord::decode).toList().get(1).message());
    }

    @Test
    void aStringThatIsNotUtf8IsStoredReplacedAndFlaggedWithTheRestOfTheMessage() throws IOException {
        // before, msgpack's asString threw on it and the whole message was refused (and resent, forever)
        byte[] b = packed(p -> {
            p.packArrayHeader(2).packString("tag").packArrayHeader(2);
            p.packArrayHeader(2).packLong(T).packMapHeader(1).packString("msg")
                    .packRawStringHeader(2).writePayload(new byte[] {(byte) 0xff, 'x'});
            entry(p, 1);
        });
        List<LogRecord> rs = ((FluentMessage) decode(b).get(0)).records().stream().map(EncodedRecord::decode).toList();
        assertEquals(2, rs.size());
        assertEquals("\uFFFDx", rs.get(0).message());
        assertTrue(rs.get(0).flags().contains(RecordFlag.INVALID_UTF8), rs.get(0).toString());
        assertEquals("event 1", rs.get(1).message());
        assertTrue(rs.get(1).flags().isEmpty());
    }

    @Test
    void aTagThatIsNotUtf8IsStoredReplacedAndFlaggedInEveryMode() throws IOException {
        // before, msgpack's asString threw on the tag and the connection was closed unacknowledged:
        // Fluent Bit resent the chunk for as long as its retries allowed
        byte[] badTag = {'a', 'p', 'p', '.', (byte) 0xff, 'x'};
        byte[] packedEntries = packed(p -> entry(p, 2));
        byte[] b = packed(p -> {
            // Message mode
            p.packArrayHeader(3).packRawStringHeader(badTag.length).writePayload(badTag).packLong(T);
            record(p, "msg", "message mode");
            // Forward mode: an entry with its own service, one without, and one the direct way leaves to
            // msgpack values (a string of its own that is not UTF-8): flagged and counted once all the same
            p.packArrayHeader(2).packRawStringHeader(badTag.length).writePayload(badTag).packArrayHeader(3);
            p.packArrayHeader(2).packLong(T).packMapHeader(2).packString("msg").packString("own service")
                    .packString("service").packString("svc");
            entry(p, 1);
            p.packArrayHeader(2).packLong(T).packMapHeader(1).packString("msg")
                    .packRawStringHeader(2).writePayload(new byte[] {'m', (byte) 0xfe});
            // PackedForward
            p.packArrayHeader(2).packRawStringHeader(badTag.length).writePayload(badTag)
                    .packBinaryHeader(packedEntries.length);
            p.writePayload(packedEntries);
            // a good tag after them: not flagged
            p.packArrayHeader(2).packString("app.good").packArrayHeader(1);
            entry(p, 3);
        });
        Run run = new Run(MalformedPolicy.STORE_RAW, 1 << 20);
        run.write(b, 0, b.length);
        List<Object> out = run.finish();
        assertEquals(4, out.size(), out.toString());
        List<LogRecord> rs = new ArrayList<>();
        for (Object o : out) {
            assertTrue(o instanceof FluentMessage, "a message, not an error: " + o);
            ((FluentMessage) o).records().stream().map(EncodedRecord::decode).forEach(rs::add);
        }
        assertEquals(List.of("message mode", "own service", "event 1", "m\uFFFD", "event 2", "event 3"),
                rs.stream().map(LogRecord::message).toList());
        assertEquals(List.of("app.\uFFFDx", "svc", "app.\uFFFDx", "app.\uFFFDx", "app.\uFFFDx", "app.good"),
                rs.stream().map(LogRecord::service).toList());
        for (int i = 0; i < 5; i++) {
            assertEquals(Set.of(RecordFlag.INVALID_UTF8), rs.get(i).flags(), rs.get(i).toString());
        }
        assertTrue(rs.get(5).flags().isEmpty(), rs.get(5).toString());
        assertEquals(Collections.nCopies(5, RejectReason.INVALID_UTF8.label()), run.observer.rejections(),
                "counted once per record");
    }

    /** A PackedForward message of the given entries (each a full entry, packed by the caller). */
    private static byte[] packedMessage(Packing entries) throws IOException {
        MessageBufferPacker inner = MessagePack.newDefaultBufferPacker();
        entries.pack(inner);
        byte[] stream = inner.toByteArray();
        return packed(p -> {
            p.packArrayHeader(2).packString("tag").packBinaryHeader(stream.length);
            p.writePayload(stream);
        });
    }

    /** The records of every part of the one message in {@code out}. */
    private static List<LogRecord> records(List<Object> out) {
        List<LogRecord> all = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            FluentMessage m = (FluentMessage) out.get(i);
            assertEquals(i == out.size() - 1, m.last(), out.toString());
            m.records().stream().map(EncodedRecord::decode).forEach(all::add);
        }
        return all;
    }

    @Test
    void anEntryOverTheMaxFrameIsStoredCutAndTheRestOfTheMessageMapped() throws IOException {
        String big = "x".repeat(1_500_000); // the decoder's max frame is 1 MiB here
        List<LogRecord> rs = records(decode(packedMessage(p -> {
            p.packArrayHeader(2).packLong(T).packMapHeader(1).packString("msg").packString(big);
            entry(p, 1);
        })));
        assertEquals(2, rs.size());
        LogRecord cut = rs.get(0);
        assertTrue(cut.flags().contains(RecordFlag.TRUNCATED) && cut.flags().contains(RecordFlag.MALFORMED), cut.flags().toString());
        assertTrue(cut.message().startsWith("[" + T + ",{\"msg\":\"xxx"), cut.message().substring(0, 40));
        assertTrue(cut.message().getBytes(StandardCharsets.UTF_8).length <= 1 << 20, "cut at the max frame");
        assertEquals("oversize", cut.fields().get("logpipe.error").text());
        assertEquals("tag", cut.service());
        assertEquals("event 1", rs.get(1).message());
    }

    @Test
    void anEntryMsgpackCannotReadIsStoredRawAndTheRestMapped() throws IOException {
        List<LogRecord> rs = records(decode(packedMessage(p -> {
            // a timestamp extension (type -1) of 3 bytes: msgpack-java's unpackValue refuses it
            p.packArrayHeader(2).packLong(T).packMapHeader(2).packString("msg").packString("m");
            p.packString("when").packExtensionTypeHeader((byte) -1, 3).writePayload(new byte[] {1, 2, 3});
            entry(p, 1);
        })));
        assertEquals(2, rs.size());
        assertTrue(rs.get(0).flags().contains(RecordFlag.MALFORMED), rs.get(0).toString());
        assertEquals("[" + T + ",{\"msg\":\"m\",\"when\":[-1,\"010203\"]}]", rs.get(0).message());
        assertEquals("event 1", rs.get(1).message());
    }

    @Test
    void aMapOfManyKeysIsMappedWithoutATreeOfValues() throws IOException {
        int keys = 60_000; // about 540 KB: within the 1 MiB max frame
        List<LogRecord> rs = records(decode(packedMessage(p -> {
            p.packArrayHeader(2).packLong(T).packMapHeader(keys);
            for (int i = 0; i < keys; i++) {
                p.packString("k" + i).packInt(i);
            }
        })));
        assertEquals(keys, rs.get(0).fieldCount(), rs.get(0).flags() + " " + rs.get(0).fields().get("logpipe.error"));
        assertEquals("59999", rs.get(0).fields().get("k59999").text());
        // the same keys with one repeated: the fast way cannot take it, and the slow way is not tried
        List<LogRecord> dup = records(decode(packedMessage(p -> {
            p.packArrayHeader(2).packLong(T).packMapHeader(keys);
            for (int i = 0; i < keys; i++) {
                p.packString(i == keys - 1 ? "k0" : "k" + i).packInt(i);
            }
        })));
        assertTrue(dup.get(0).flags().contains(RecordFlag.MALFORMED), "stored raw");
        assertTrue(dup.get(0).message().startsWith("[" + T + ",{\"k0\":0,\"k1\":1,"), dup.get(0).message().substring(0, 30));
    }

    @Test
    void aMessageModeRecordIsMappedAndBoundedAsAnEntryIs() throws IOException {
        // Message mode ([tag, time, record, option], Docker's fluentd driver): the record is not read into
        // a value tree (a 12 MB map of 2 million keys ran the heap out), but mapped as an entry of a stream
        int keys = 60_000;
        List<Object> out = decode(packed(p -> {
            p.packArrayHeader(4).packString("docker.app");
            eventTime(p, T, 250);
            p.packMapHeader(keys);
            for (int i = 0; i < keys; i++) {
                p.packString("k" + i).packInt(i);
            }
            p.packMapHeader(1).packString("chunk").packString("c9");
            p.packArrayHeader(3).packString("docker.app").packLong(T + 1);
            p.packMapHeader(1).packString("msg").packString("x".repeat(1_500_000)); // over the 1 MiB max frame
        }));
        assertEquals(2, out.size(), out.toString());
        assertEquals("c9", ((FluentMessage) out.get(0)).chunk().asStringValue().asString());
        List<LogRecord> rs = out.stream().flatMap(m -> ((FluentMessage) m).records().stream())
                .map(EncodedRecord::decode).toList();
        assertEquals(keys, rs.get(0).fieldCount());
        assertEquals("59999", rs.get(0).fields().get("k59999").text());
        assertEquals(T * 1_000_000_000L + 250, rs.get(0).eventTimeNanos(), "EventTime keeps nanoseconds");
        assertEquals("docker.app", rs.get(0).service());
        LogRecord cut = rs.get(1);
        assertTrue(cut.flags().contains(RecordFlag.TRUNCATED) && cut.flags().contains(RecordFlag.MALFORMED), cut.flags().toString());
        assertTrue(cut.message().startsWith("[" + (T + 1) + ",{\"msg\":\"xxx"), cut.message().substring(0, 40));
        assertEquals("oversize", cut.fields().get("logpipe.error").text());
    }

    @Test
    void garbageAndNonMessagesEndTheStreamWithAProtocolError() throws IOException {
        byte[][] bad = {
                "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII), // a fixstr then more: not an array
                {(byte) 0xc1}, // never used in msgpack
                packed(p -> p.packArrayHeader(1).packString("tag")),
                packed(p -> p.packArrayHeader(3).packInt(1).packLong(T).packMapHeader(0)),
                packed(p -> p.packArrayHeader(6).packString("PING").packString("h").packString("s").packString("x")
                        .packString("").packString("")),
                packed(p -> {
                    p.packArrayHeader(3).packString("t").packBinaryHeader(3);
                    p.writePayload(new byte[] {1, 2, 3});
                    p.packMapHeader(1).packString("compressed").packString("gzip");
                }),
        };
        for (byte[] b : bad) {
            List<Object> out = decode(b);
            assertEquals(1, out.size(), new String(b, StandardCharsets.ISO_8859_1));
            assertTrue(out.get(0) instanceof FluentProtocolError, out.toString());
        }
    }

    @Test
    void aDeclaredLengthOverTheLimitIsRefusedAtOnce() {
        // str32 declaring 1 GiB: refused from its header, without waiting for the bytes.
        byte[] b = {(byte) 0x93, (byte) 0xa1, 't', (byte) 0xdb, 0x40, 0, 0, 0};
        Run r = new Run(MalformedPolicy.STORE_RAW, 1 << 20);
        r.write(b, 0, b.length);
        List<Object> out = r.finish();
        assertEquals(FluentProtocolError.OVERSIZE, ((FluentProtocolError) out.get(0)).reason());
    }

    @Test
    void nestingDeeperThanTheLimitIsRefused() {
        byte[] b = new byte[200];
        java.util.Arrays.fill(b, (byte) 0x91); // [[[[...
        List<Object> out = decode(b);
        assertEquals(FluentProtocolError.BAD_MESSAGE, ((FluentProtocolError) out.get(0)).reason());
    }

    @Test
    void nestingDeeperThanTheLimitInsideAPackedStreamIsRefusedBeforeAnyRecord() throws IOException {
        // the inner stream of PackedForward is opaque to the message scanner: its depth is checked apart
        for (int depth : new int[] {65, 200_000}) {
            MessageBufferPacker inner = MessagePack.newDefaultBufferPacker();
            inner.packArrayHeader(2).packLong(T).packMapHeader(1).packString("message").packString("first");
            inner.packArrayHeader(2).packLong(T).packMapHeader(1).packString("deep");
            for (int i = 0; i < depth; i++) {
                inner.packArrayHeader(1);
            }
            inner.packInt(1);
            byte[] stream = inner.toByteArray();
            byte[] b = packed(p -> {
                p.packArrayHeader(2).packString("t").packBinaryHeader(stream.length);
                p.writePayload(stream);
            });
            List<Object> out = decode(b);
            assertEquals(1, out.size(), "depth " + depth + ": " + out);
            assertEquals(FluentProtocolError.BAD_MESSAGE, ((FluentProtocolError) out.get(0)).reason(), "depth " + depth);
        }
    }

    @Test
    void goodMessagesBeforeAnErrorAreDelivered() throws IOException {
        byte[] good = packed(p -> {
            p.packArrayHeader(3).packString("t").packLong(T);
            record(p, "message", "ok");
        });
        byte[] both = new byte[good.length + 1];
        System.arraycopy(good, 0, both, 0, good.length);
        both[good.length] = (byte) 0xc1;
        List<Object> out = decode(both);
        assertEquals(2, out.size());
        assertEquals("ok", ((FluentMessage) out.get(0)).records().stream().map(EncodedRecord::decode).toList().get(0).message());
        assertTrue(out.get(1) instanceof FluentProtocolError);
    }

    @Test
    void anUnfinishedTailIsCountedIncomplete() throws IOException {
        byte[] good = packed(p -> {
            p.packArrayHeader(3).packString("t").packLong(T);
            record(p, "message", "ok");
        });
        Run r = new Run(MalformedPolicy.STORE_RAW, 1 << 20);
        r.write(good, 0, good.length - 2);
        assertTrue(r.finish().isEmpty());
        assertEquals(List.of(RejectReason.INCOMPLETE_FRAME.label()), r.observer.rejections());
    }
}
