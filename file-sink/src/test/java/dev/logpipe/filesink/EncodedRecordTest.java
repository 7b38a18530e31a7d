package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.filesink.internal.codec.RecordCodec;
import dev.logpipe.runtime.TaskRuntime;
import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An {@link EncodedRecord} is the record {@link LogRecord}'s encoding makes, byte for byte, so the
 * journal cannot tell the two apart; and the writer stores it as such.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EncodedRecordTest {

    @TempDir
    Path dir;

    private static final String[] TEXTS = {"", "a", "api", "web-3.prod", "hello world", "ünïcödé", "日本語", "😀 emoji",
        "quote \" and \\ backslash", "x".repeat(200), "ctl \u0001\t\n", "é".repeat(70)};

    private static String text(SplittableRandom rnd) {
        return TEXTS[rnd.nextInt(TEXTS.length)];
    }

    /** A record as a receiver makes it: any values, and now and then a syslog section. */
    private static LogRecord randomRecord(SplittableRandom rnd, int i) {
        LogRecord.Builder b = LogRecord.builder()
                .receiveTimeNanos(1_765_000_000_000_000_000L + rnd.nextLong(1_000_000_000_000L))
                .eventTimeNanos(rnd.nextInt(4) == 0 ? Long.MIN_VALUE + 1 : rnd.nextLong())
                .level(Level.ofOrdinal(rnd.nextInt(Level.values().length)))
                .format(SourceFormat.ofOrdinal(rnd.nextInt(SourceFormat.values().length)))
                .flagBits(rnd.nextInt(8))
                .host(text(rnd)).service(text(rnd)).source("127.0.0.1:" + (1024 + i % 1000)).message(text(rnd));
        int fields = rnd.nextInt(6) == 0 ? 200 : rnd.nextInt(6); // now and then over a one-byte count
        for (int f = 0; f < fields; f++) {
            String name = "f" + f + text(rnd);
            if (rnd.nextBoolean()) {
                b.field(name, text(rnd));
            } else {
                b.fieldJson(name, Long.toString(rnd.nextLong()));
            }
        }
        if (rnd.nextInt(3) == 0) {
            b.syslog(new SyslogInfo(rnd.nextInt(24), rnd.nextInt(8), text(rnd), text(rnd), text(rnd), text(rnd)));
        }
        return b.build();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The record through the encoder, from its values' UTF-8 bytes. */
    static EncodedRecord encode(EncodedRecord.Encoder e, LogRecord r) {
        byte[] host = utf8(r.host());
        byte[] service = utf8(r.service());
        byte[] message = utf8(r.message());
        e.begin(r.receiveTimeNanos(), r.eventTimeNanos(), r.level(), r.format(), r.flagBits())
                .host(host, 0, host.length).service(service, 0, service.length).source(r.source())
                .message(message, 0, message.length).fieldCount(r.fieldCount());
        for (int i = 0; i < r.fieldCount(); i++) {
            // a name and a value inside larger arrays, as a receiver passes them
            byte[] name = utf8("<<" + r.fieldName(i) + ">>");
            byte[] value = utf8("[" + r.fieldValue(i).text() + "]");
            e.field(name, 2, name.length - 4, r.fieldValue(i).json(), value, 1, value.length - 2);
        }
        SyslogInfo sys = r.syslog();
        if (sys != null) {
            byte[] app = utf8(sys.appName());
            byte[] proc = utf8(sys.procId());
            byte[] msgId = utf8(sys.msgId());
            byte[] sd = utf8(sys.structuredData());
            e.syslog(sys.facility(), sys.severity()).appName(app, 0, app.length).procId(proc, 0, proc.length)
                    .msgId(msgId, 0, msgId.length).structuredData(sd, 0, sd.length);
        }
        return e.finish();
    }

    private static byte[] sealed(RecordCodec codec, long index, java.util.function.ToLongFunction<Bytes<?>> write) {
        Bytes<?> out = Bytes.allocateElasticOnHeap(256);
        try {
            write.applyAsLong(out);
            return out.toByteArray();
        } finally {
            out.releaseLast();
        }
    }

    @Test
    void theEncoderWritesTheBytesTheCodecWrites() {
        SplittableRandom rnd = new SplittableRandom(20261206);
        EncodedRecord.Encoder encoder = new EncodedRecord.Encoder();
        RecordCodec codec = new RecordCodec();
        for (int i = 0; i < 3_000; i++) {
            LogRecord r = randomRecord(rnd, i);
            EncodedRecord e = encode(encoder, r);
            byte[] made = e.body().clone();
            long index = rnd.nextLong(1L << 40);
            byte[] expected = sealed(codec, index, out -> codec.write(out, r, index));
            byte[] actual = sealed(codec, index, out -> {
                codec.adopt(e.body());
                return codec.writeEncoded(out, index);
            });
            assertArrayEquals(expected, actual, () -> "record " + r);
            assertArrayEquals(made, e.body(), "writing it leaves the record as it was made");
            assertEquals(r, e.decode());
            assertEquals(r.format(), e.format());
            assertEquals(r.receiveTimeNanos(), e.receiveTimeNanos());
            assertTrue(e.heapBytes() >= e.body().length, "the weight covers the bytes");
        }
    }

    @Test
    void partsOutOfOrderAndBadUtf8AreRefused() {
        EncodedRecord.Encoder e = new EncodedRecord.Encoder();
        byte[] a = utf8("a");
        assertThrows(IllegalStateException.class, () -> e.host(a, 0, 1), "before begin");
        e.begin(1, 1, Level.INFO, SourceFormat.JSON, 0);
        assertThrows(IllegalStateException.class, () -> e.service(a, 0, 1), "service before host");
        e.host(a, 0, 1).service(a, 0, 1).source("s").message(a, 0, 1).fieldCount(1);
        assertThrows(IllegalStateException.class, e::finish, "a field is missing");
        e.field(a, 0, 1, false, a, 0, 1);
        assertThrows(IllegalStateException.class, () -> e.field(a, 0, 1, false, a, 0, 1), "one field too many");
        e.finish();
        assertThrows(IllegalStateException.class, e::finish, "finished twice");
        e.begin(1, 1, Level.INFO, SourceFormat.SYSLOG_5424, 0).host(a, 0, 1).service(a, 0, 1).source("s")
                .message(a, 0, 1).fieldCount(0).syslog(1, 6).appName(a, 0, 1);
        assertThrows(IllegalStateException.class, e::finish, "a syslog section cut short");
        assertThrows(IllegalArgumentException.class, () -> new EncodedRecord.Encoder().begin(1, 1, Level.INFO,
                SourceFormat.SYSLOG_5424, 0).host(a, 0, 1).service(a, 0, 1).source("s").message(a, 0, 1)
                .fieldCount(0).syslog(24, 6), "facility out of range");

        e.begin(1, 1, Level.INFO, SourceFormat.JSON, 0);
        for (byte[] bad : new byte[][] {
            {(byte) 0xC0, (byte) 0x80},                           // overlong NUL
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80},              // a surrogate
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
            {(byte) 0xE6, (byte) 0x97},                           // cut
            {'a', 'b', 'c', 'd', 'e', 'f', 'g', (byte) 0xFF},     // after an ASCII word
        }) {
            assertThrows(IllegalArgumentException.class, () -> e.host(bad, 0, bad.length));
        }
        byte[] good = utf8("ok 日本 😀");
        e.host(good, 0, good.length);
        assertFalse(EncodedRecord.Utf8.wellFormed(new byte[] {(byte) 0x80}, 0, 1), "a lone continuation byte");
    }

    @Test
    void theWriterStoresEncodedRecordsAmongOthersInOrder() throws Exception {
        TaskRuntime runtime = TaskRuntime.builder().workerThreads(2).maxBlockingThreads(4).threadNamePrefix("enc").build();
        try {
            FileSink sink = FileSink.builder(dir).runtime(runtime).syncInterval(Duration.ofMillis(20)).batchSize(64).build();
            Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(256);
            sink.start(ch.receiver());
            MpscSender<AppendRequest> tx = ch.sender();
            SplittableRandom rnd = new SplittableRandom(7);
            EncodedRecord.Encoder encoder = new EncodedRecord.Encoder();
            List<LogRecord> sent = new ArrayList<>();
            List<java.util.concurrent.CompletableFuture<Long>> receipts = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger earlyDurable = new java.util.concurrent.atomic.AtomicInteger();
            for (int i = 0; i < 2_000; i++) {
                LogRecord r = randomRecord(rnd, i).toBuilder().field("seq", Integer.toString(i)).build();
                sent.add(r);
                AppendRequest req = switch (i % 4) {
                    case 0 -> AppendRequest.of(r);
                    case 1 -> AppendRequest.of(encode(encoder, r));
                    case 2 -> AppendRequest.withReceipt(encode(encoder, r));
                    default -> AppendRequest.withDurableReceipt(encode(encoder, r));
                };
                assertEquals(r.format(), req.format());
                if (req.hasReceipt()) {
                    java.util.concurrent.CompletableFuture<Long> f = req.receiptWhenDurable() ? req.durable()
                            : req.written().toCompletableFuture();
                    if (req.receiptWhenDurable()) {
                        // when a durable receipt completes, a sync already covers its record
                        f.thenAccept(index -> {
                            if (sink.stats().durableIndex() < index) {
                                earlyDurable.incrementAndGet();
                            }
                        });
                    }
                    receipts.add(f);
                }
                assertTrue(tx.blockingSend(req).isSent());
            }
            tx.close();
            WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            long lastReceipt = -1;
            for (java.util.concurrent.CompletableFuture<Long> f : receipts) {
                long index = f.get(10, TimeUnit.SECONDS);
                assertTrue(index > lastReceipt, "receipts carry increasing journal indices");
                lastReceipt = index;
            }
            assertEquals(1_000, receipts.size());
            assertEquals(0, earlyDurable.get(), "durable receipts completed before a sync covered them");
            assertTrue(report.clean(), report.toString());
            List<LogRecord> back = new ArrayList<>();
            long prev = -1;
            try (JournalReader reader = JournalReader.open(dir)) {
                for (ReadRecord rr; (rr = reader.next()) != null; ) {
                    assertTrue(rr.index() > prev);
                    prev = rr.index();
                    back.add(rr.record());
                }
            }
            assertEquals(sent, back);
        } finally {
            runtime.shutdown(Duration.ofSeconds(5));
        }
    }
}
