package dev.logpipe.collector.internal.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.RejectReason;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.value.Value;

/**
 * The fast mapping of Fluent Forward entries gives the records the decoder's msgpack-value mapping
 * gives, over generated entries of every shape: the core keys in any order and repeated, Docker's
 * {@code log}, every msgpack type as a value and as the time, nesting, invalid UTF-8, too many fields.
 */
class FluentEntryEncoderTest {

    private static final long NOW = 1_765_000_000_123_456_789L;
    private static final String TAG = "app.web";
    private static final String[] KEYS = {"level", "severity", "service", "app", "host", "hostname", "msg", "message",
        "log", "a", "b", "user", "", "é名", "levels", "mess"};
    private static final String[] LEVELS = {"info", "INFO", "warn", "Warning", "error", "debug", "trace", "fatal",
        "bogus", "", "30", "E"};

    private final RecordingObserver observer = new RecordingObserver();
    private final FluentForwardDecoder decoder = FluentForwardDecoder.create(
            new IngestDecoderConfig(WireFormat.AUTO, 1 << 20, OversizePolicy.TRUNCATE, MalformedPolicy.STORE_RAW),
            observer, () -> NOW);
    private final FluentEntryEncoder fast = new FluentEntryEncoder();

    /** Fast and slow agree on {@code entry}; returns whether the fast path took it. */
    private boolean agree(byte[] entry, String what) throws IOException {
        byte[] padded = new byte[entry.length + 7]; // at an offset, as in a message
        System.arraycopy(entry, 0, padded, 3, entry.length);
        EncodedRecord f = fast.encode(ByteBuffer.wrap(padded), 3, entry.length, TAG.getBytes(StandardCharsets.UTF_8), "", NOW);
        Value v;
        try {
            v = MessagePack.newDefaultUnpacker(entry).unpackValue();
        } catch (RuntimeException e) {
            // msgpack-java refuses a timestamp extension (type -1) of a bad length: the decoder stores
            // such an entry raw (FluentForwardDecoderTest); the fast path must not have taken it
            assertNull(f, what + ": the fast path took an entry msgpack cannot read");
            return false;
        }
        LogRecord slow = decoder.toRecord(TAG, v, NOW);
        if (f != null) {
            assertEquals(slow, f.decode(), what + ": " + v);
            // and the slow path's own encoding reads back as its record
            assertEquals(slow, fast.encode(slow).decode(), what);
        }
        return f != null;
    }

    /**
     * An extension value in a record (an EventTime a fluentd filter put there) is stored as
     * {@code [type,"hex"]} with two digits per byte, both ways: msgpack-java's own text wrote each byte's
     * signed value unpadded ({@code 65 53 f1 00} as "6553-f00"), which nothing could decode back.
     */
    @Test
    void extensionValuesAreStoredAsDecodableHexBothWays() throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packArrayHeader(2).packLong(1).packMapHeader(3).packString("msg").packString("m");
        p.packString("at").packExtensionTypeHeader((byte) 0, 8).writePayload(new byte[] {0x65, 0x53, (byte) 0xf1, 0, 0, 0, 0, 5});
        p.packString("nested").packArrayHeader(1).packExtensionTypeHeader((byte) 7, 3).writePayload(new byte[] {(byte) 0xff, 0x0a, 1});
        byte[] entry = p.toByteArray();
        assertTrue(agree(entry, "ext"), "the fast path takes it");
        LogRecord r = decoder.toRecord(TAG, MessagePack.newDefaultUnpacker(entry).unpackValue(), NOW);
        assertEquals("[0,\"6553f10000000005\"]", r.fields().get("at").text());
        assertEquals("[[7,\"ff0a01\"]]", r.fields().get("nested").text());
    }

    @Test
    void generatedEntriesMapTheSameBothWays() throws IOException {
        Random rnd = new Random(20261207);
        int taken = 0;
        int n = 30_000;
        for (int i = 0; i < n; i++) {
            MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
            entry(p, rnd);
            if (agree(p.toByteArray(), "entry " + i)) {
                taken++;
            }
        }
        // most generated entries carry something the fast path leaves alone (a repeated name, bad UTF-8, an odd
        // time); about a quarter do not, and those must come out equal
        assertTrue(taken > n / 10, "the fast path took " + taken + " of " + n);
    }

    @Test
    void theCommonShapesTakeTheFastPath() throws IOException {
        String[][] shapes = {
            {"log", "line one\n", "stream", "stdout", "time", "2024-03-10T12:00:00Z"}, // Docker
            {"level", "info", "msg", "hello", "service", "api", "host", "h1", "user_id", "42"},
            {"severity", "ERROR", "message", "boom", "hostname", "h2", "app", "billing"},
            {"msg", "résumé ✓ 名前", "k", "v"},
        };
        for (String[] kv : shapes) {
            MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
            p.packArrayHeader(2).packLong(1_710_072_000L).packMapHeader(kv.length / 2);
            for (String s : kv) {
                p.packString(s);
            }
            assertTrue(agree(p.toByteArray(), String.join(",", kv)), String.join(",", kv));
        }
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packArrayHeader(2).packExtensionTypeHeader((byte) 0, 8).writePayload(new byte[] {0x65, (byte) 0xed, 0x5c, 0, 0, 0, 1, 0});
        p.packMapHeader(3).packString("status").packInt(200).packString("ok").packBoolean(true)
                .packString("kubernetes").packMapHeader(1).packString("pod").packString("web-1");
        assertTrue(agree(p.toByteArray(), "EventTime, a number, a boolean and a map"));
    }

    @Test
    void invalidUtf8IsStoredReplacedFlaggedAndCountedNotFatal() throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packArrayHeader(2).packLong(1_710_072_000L).packMapHeader(2);
        p.packString("msg").packRawStringHeader(3).writePayload(new byte[] {'a', (byte) 0xff, 'b'});
        p.packString("k").packString("v");
        byte[] entry = p.toByteArray();
        assertNull(fast.encode(ByteBuffer.wrap(entry), 0, entry.length, new byte[] {'t'}, "", NOW), "left to the slow path");
        LogRecord r = decoder.toRecord(TAG, MessagePack.newDefaultUnpacker(entry).unpackValue(), NOW);
        assertNotNull(r);
        assertEquals("a\uFFFDb", r.message());
        assertEquals("v", r.fields().get("k").text());
        assertTrue(r.flags().contains(RecordFlag.INVALID_UTF8), r.toString());
        assertEquals(java.util.List.of(RejectReason.INVALID_UTF8.label()), observer.rejections());
        LogRecord next = decoder.toRecord(TAG, MessagePack.newDefaultUnpacker(goodEntry()).unpackValue(), NOW);
        assertTrue(next.flags().isEmpty(), "the next record is not flagged: " + next);
    }

    private static byte[] goodEntry() throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packArrayHeader(2).packLong(1).packMapHeader(1).packString("msg").packString("fine");
        return p.toByteArray();
    }

    private static void entry(MessageBufferPacker p, Random rnd) throws IOException {
        int shape = rnd.nextInt(40);
        if (shape == 0) {
            value(p, rnd, 0); // not an entry at all
            return;
        }
        if (shape == 1) {
            p.packArrayHeader(3).packLong(1).packMapHeader(0).packNil();
            return;
        }
        p.packArrayHeader(2);
        time(p, rnd);
        if (shape == 2) {
            value(p, rnd, 0); // not a map, mostly
            return;
        }
        int count = rnd.nextInt(50) == 0 ? 17 + rnd.nextInt(300) : rnd.nextInt(9); // many: the hashed name check
        p.packMapHeader(count);
        for (int k = 0; k < count; k++) {
            key(p, rnd);
            int kind = rnd.nextInt(10);
            if (kind < 5) {
                text(p, rnd);
            } else if (kind == 5) {
                p.packString(LEVELS[rnd.nextInt(LEVELS.length)]);
            } else {
                value(p, rnd, 0);
            }
        }
    }

    private static void key(MessageBufferPacker p, Random rnd) throws IOException {
        int kind = rnd.nextInt(60);
        if (kind == 0) {
            p.packInt(rnd.nextInt(100)); // a key that is not a string
        } else if (kind == 1) {
            byte[] k = KEYS[rnd.nextInt(KEYS.length)].getBytes(StandardCharsets.UTF_8);
            p.packBinaryHeader(k.length).writePayload(k);
        } else if (kind == 2) {
            p.packRawStringHeader(2).writePayload(new byte[] {(byte) 0xc3, 0x28}); // invalid UTF-8
        } else if (kind < 20) {
            p.packString("f" + rnd.nextInt(30));
        } else {
            p.packString(KEYS[rnd.nextInt(KEYS.length)]);
        }
    }

    private static void text(MessageBufferPacker p, Random rnd) throws IOException {
        switch (rnd.nextInt(8)) {
            case 0 -> p.packString("line\n");
            case 1 -> p.packString("");
            case 2 -> p.packString("näive ☃ " + rnd.nextInt());
            case 3 -> {
                byte[] b = {'x', (byte) 0xed, (byte) 0xa0, (byte) 0x80}; // an encoded surrogate: not UTF-8
                p.packRawStringHeader(b.length).writePayload(b);
            }
            case 4 -> {
                byte[] b = "as bin".getBytes(StandardCharsets.US_ASCII);
                p.packBinaryHeader(b.length).writePayload(b);
            }
            case 5 -> p.packString(rnd.nextBoolean() ? "x".repeat(rnd.nextInt(300)) // str8, str16
                    : "ctl \u0001\u000b\u007f \uD83D\uDE00 \u2028 end"); // escapes, a surrogate pair
            default -> p.packString("v" + rnd.nextInt(1000) + " \"quoted\" \\ \t");
        }
    }

    private static void time(MessageBufferPacker p, Random rnd) throws IOException {
        switch (rnd.nextInt(14)) {
            case 0 -> p.packLong(-5);
            case 1 -> p.packLong(Long.MAX_VALUE);
            case 2 -> p.packBigInteger(java.math.BigInteger.ONE.shiftLeft(63)); // a uint64 past Long.MAX_VALUE
            case 3 -> p.packFloat(1.7100720E9f);
            case 4 -> p.packDouble(1_710_072_000.123456);
            case 5 -> p.packDouble(Double.NaN);
            case 6 -> p.packDouble(-1.5);
            case 7 -> p.packExtensionTypeHeader((byte) 0, 8).writePayload(new byte[] {0x65, (byte) 0xed, 0x5c, 0, 0x3b, (byte) 0x9a, (byte) 0xc9, (byte) 0xff});
            case 8 -> p.packExtensionTypeHeader((byte) 0, 8).writePayload(new byte[] {0x65, (byte) 0xed, 0x5c, 0, 0, 0, 0, 7});
            case 9 -> p.packExtensionTypeHeader((byte) 1, 8).writePayload(new byte[8]);
            case 10 -> p.packExtensionTypeHeader((byte) 0, 4).writePayload(new byte[4]);
            case 11 -> p.packString("1710072000");
            case 12 -> p.packInt(rnd.nextInt(200)); // fixint, uint8
            default -> p.packLong(1_710_072_000L + rnd.nextInt(1000));
        }
    }

    private static void value(MessageBufferPacker p, Random rnd, int depth) throws IOException {
        switch (rnd.nextInt(depth > 2 ? 12 : 15)) {
            case 0 -> p.packNil();
            case 1 -> p.packBoolean(rnd.nextBoolean());
            case 2 -> p.packInt(rnd.nextInt(300) - 150);
            case 3 -> p.packLong(rnd.nextLong() >> rnd.nextInt(64)); // every width of int and uint, both signs
            case 4 -> p.packBigInteger(java.math.BigInteger.ONE.shiftLeft(63).add(java.math.BigInteger.valueOf(rnd.nextInt(9))));
            case 5 -> p.packLong(Long.MIN_VALUE);
            case 6 -> p.packInt(rnd.nextInt(8)); // a syslog severity as a level
            case 7 -> p.packInt(10 * (1 + rnd.nextInt(6))); // a pino level
            case 8 -> p.packFloat(rnd.nextFloat());
            case 9 -> p.packDouble(rnd.nextBoolean() ? rnd.nextDouble() * 1e6 : Double.POSITIVE_INFINITY);
            case 10 -> {
                byte[] data = new byte[new int[] {1, 2, 4, 8, 16, 3, 20}[rnd.nextInt(7)]];
                rnd.nextBytes(data); // negative bytes too: msgpack writes each as signed hex
                p.packExtensionTypeHeader((byte) (rnd.nextInt(256) - 128), data.length).writePayload(data);
            }
            case 11 -> text(p, rnd);
            case 12 -> {
                int n = rnd.nextInt(4);
                p.packArrayHeader(n);
                for (int i = 0; i < n; i++) {
                    value(p, rnd, depth + 1);
                }
            }
            default -> {
                int n = rnd.nextInt(4);
                p.packMapHeader(n);
                for (int i = 0; i < n; i++) {
                    key(p, rnd);
                    value(p, rnd, depth + 1);
                }
            }
        }
    }

    @Test
    void anEntryOfVeryManyKeysDoesNotStayInTheEncoderAfterIt() throws Exception {
        // one encoder per connection: the spans of an 80,000-key entry stayed for the connection's life
        org.msgpack.core.MessageBufferPacker p = org.msgpack.core.MessagePack.newDefaultBufferPacker();
        p.packArrayHeader(2).packLong(1_765_000_000L).packMapHeader(80_000);
        for (int i = 0; i < 80_000; i++) {
            p.packString("k" + i).packInt(i);
        }
        byte[] entry = p.toByteArray();
        EncodedRecord r = fast.encode(ByteBuffer.wrap(entry), 0, entry.length, new byte[] {'t'}, "", NOW);
        assertNotNull(r);
        assertEquals(80_000, r.decode().fieldCount());
        assertTrue(fast.keptFields() <= FluentEntryEncoder.MAX_KEPT_FIELDS, "kept " + fast.keptFields());
    }
}
