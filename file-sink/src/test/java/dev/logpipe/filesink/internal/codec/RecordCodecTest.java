package dev.logpipe.filesink.internal.codec;

import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.SyslogInfo;
import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordCodecTest {

    private final RecordCodec codec = new RecordCodec();

    private LogRecord roundTrip(LogRecord r) {
        Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        try {
            long n = codec.write(b, r, 0L);
            assertEquals(n, b.readRemaining());
            LogRecord back = codec.read(b);
            assertEquals(0, b.readRemaining(), "decoder consumed every byte");
            return back;
        } finally {
            b.releaseLast();
        }
    }

    @Test
    void decodeReadsEveryByteFromTheArrayItIsGiven() {
        // a codec whose own buffer holds other bytes (or none) must decode the array passed to it
        LogRecord r = LogRecord.builder().eventTimeNanos(1).receiveTimeNanos(2).level(Level.WARN)
                .host("host-a").service("svc").message("from the array").field("k", "v").build();
        Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        byte[] bytes;
        try {
            new RecordCodec().write(b, r, 7L);
            bytes = b.toByteArray();
        } finally {
            b.releaseLast();
        }
        RecordCodec fresh = new RecordCodec();
        assertEquals(r, fresh.decode(bytes, bytes.length));
        assertEquals(7L, fresh.lastIndex());
        LogRecord other = LogRecord.builder().eventTimeNanos(3).receiveTimeNanos(4).message("other").build();
        roundTrip(other); // fills this codec's buffer with another record
        assertEquals(r, codec.decode(bytes, bytes.length));
    }

    @Test
    void emptyRecordRoundTrips() {
        LogRecord r = LogRecord.builder().eventTimeNanos(0).receiveTimeNanos(0).build();
        LogRecord back = roundTrip(r);
        assertEquals(r, back);
        assertEquals("", back.message());
        assertTrue(back.fields().isEmpty());
    }

    @Test
    void everyFieldRoundTripsWithFieldOrderKept() {
        LogRecord r = LogRecord.builder()
                .eventTimeNanos(-5).receiveTimeNanos(Long.MAX_VALUE)
                .level(Level.FATAL).host("h").service("s").message("m").source("tcp:127.0.0.1:9")
                .format(SourceFormat.SYSLOG_5424)
                .syslog(new SyslogInfo(23, 7, "app", "123", "ID47", "[x@1 a=\"b\"]"))
                .field("z", "last-alpha").fieldJson("a", "{\"n\":[1,2,null]}").field("", "")
                .fieldJson("num", "42").field("empty", "")
                .flag(RecordFlag.TRUNCATED).flag(RecordFlag.INVALID_UTF8)
                .build();
        LogRecord back = roundTrip(r);
        assertEquals(r, back);
        assertEquals(java.util.List.of("z", "a", "", "num", "empty"), java.util.List.copyOf(back.fields().keySet()));
        assertTrue(back.fields().get("a").json());
    }

    /**
     * A lone surrogate (a JSON "\\ud800" escape, an application's broken String) cannot be UTF-8: it is
     * stored as U+FFFD and the record flagged INVALID_UTF8, as invalid bytes on the wire are. It used to
     * become '?', silently (two distinct keys could become one).
     */
    @Test
    void loneSurrogatesAreStoredAsReplacementCharactersAndFlagged() {
        LogRecord r = LogRecord.builder().message("lone \uD800 x, low \uDC00, paired \uD83D\uDE80, at the end \uD83D")
                .field("k\uDFFF", "v\uD800").build();
        LogRecord back = roundTrip(r);
        assertEquals("lone \uFFFD x, low \uFFFD, paired \uD83D\uDE80, at the end \uFFFD", back.message());
        assertEquals("k\uFFFD", back.fieldName(0));
        assertEquals("v\uFFFD", back.fieldValue(0).text());
        assertTrue(back.hasFlag(RecordFlag.INVALID_UTF8), back.toString());

        LogRecord fine = LogRecord.builder().message("paired \uD83D\uDE80 only").build();
        assertFalse(roundTrip(fine).hasFlag(RecordFlag.INVALID_UTF8), "a valid pair is not flagged");
    }

    @Test
    void nonAsciiTextRoundTrips() {
        String text = "grüße — 日本語 — emoji \uD83D\uDE80 — \u0000 nul — \t tab";
        LogRecord r = LogRecord.builder().message(text).host("hôte").service("сервис")
                .field("ключ", "значение \uD83D\uDE00").build();
        assertEquals(r, roundTrip(r));
    }

    @Test
    void oneMebibyteMessageRoundTrips() {
        Random rnd = new Random(42);
        StringBuilder sb = new StringBuilder(1 << 20);
        while (sb.length() < (1 << 20)) {
            sb.append((char) (rnd.nextInt(0x7E - 0x20) + 0x20));
            if (rnd.nextInt(100) == 0) {
                sb.append('é');
            }
        }
        LogRecord r = LogRecord.builder().message(sb.toString()).build();
        assertEquals(r, roundTrip(r));
    }

    /**
     * A damaged excerpt header can claim far more bytes than the record has: over 1 MiB the checksum is
     * checked in pieces first, so the claimed bytes are never copied into the codec's buffer (a reader's
     * heap ran out on a 268 MB claim).
     */
    @Test
    void aLargeExcerptWithABadChecksumIsRefusedBeforeItIsCopied() {
        Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        try {
            codec.write(b, LogRecord.builder().message("hello").build(), 0L);
            b.write(new byte[RecordCodec.CHECK_BEFORE_COPY_BYTES + 4096]); // what the damaged length takes in
            long start = b.readPosition();
            CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> codec.read(b));
            assertTrue(e.getMessage().contains("checked before copying"), e.getMessage());
            assertTrue(codec.buffer().length < RecordCodec.CHECK_BEFORE_COPY_BYTES, "copied: " + codec.buffer().length);
            assertEquals(start, b.readPosition(), "nothing consumed");
        } finally {
            b.releaseLast();
        }
    }

    @Test
    void manyUnknownJsonFieldsSurvive() {
        LogRecord.Builder b = LogRecord.builder().format(SourceFormat.JSON);
        for (int i = 0; i < 300; i++) {
            b.fieldJson("extra" + i, "{\"deep\":{\"v\":" + i + "}}");
        }
        LogRecord r = b.build();
        assertEquals(r, roundTrip(r));
    }

    @Test
    void trailingBytesFromALaterLayoutAreIgnoredWhenTheChecksumCoversThem() {
        LogRecord r = LogRecord.builder().message("hello").field("k", "v").build();
        Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        try {
            codec.write(b, r, 7L);
            b.writeLong(0xDEADBEEFL); // a section a later writer might add, under its checksum
            byte[] all = b.toByteArray();
            java.util.zip.CRC32C c = new java.util.zip.CRC32C();
            c.update(all, 0, 4);
            c.update(all, 8, all.length - 8);
            b.writeInt(RecordCodec.CRC_OFFSET, (int) c.getValue());
            assertEquals(r, codec.read(b));
            assertEquals(7L, codec.lastIndex());
            assertTrue(codec.lastChecked());
        } finally {
            b.releaseLast();
        }
    }

    @Test
    void bytesTheChecksumDoesNotCoverAreDamage() {
        Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        try {
            codec.write(b, LogRecord.builder().message("hello").build(), 0L);
            b.writeLong(0xDEADBEEFL);
            CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> codec.read(b));
            assertTrue(e.getMessage().startsWith("checksum mismatch"), e.getMessage());
        } finally {
            b.releaseLast();
        }
    }

    @Test
    void everySingleBitFlipIsCaughtByTheChecksum() {
        LogRecord r = LogRecord.builder().message("a record whose every bit is flipped once").field("k", "v")
                .host("h").service("s").build();
        Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        try {
            codec.write(b, r, 123_456_789L);
            byte[] good = b.toByteArray();
            for (int i = 0; i < good.length * 8; i++) {
                byte[] bad = good.clone();
                bad[i / 8] ^= (byte) (1 << (i % 8));
                int bit = i;
                assertThrows(CorruptRecordException.class, () -> codec.read(bad, 0, bad.length), () -> "bit " + bit);
            }
            assertEquals(r, codec.read(good, 0, good.length));
            assertEquals(123_456_789L, codec.lastIndex());
        } finally {
            b.releaseLast();
        }
    }

    @Test
    void zeroedRecordIsNotAdvisedAsANewerVersion() {
        byte[] zeros = new byte[64];
        CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> codec.read(zeros, 0, zeros.length));
        assertTrue(e.getMessage().startsWith("not a record (first byte 0"), e.getMessage());
        assertTrue(!e.getMessage().contains("upgrade"), e.getMessage());
    }

    @Test
    void unknownVersionIsRefusedWithAMessage() {
        Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        try {
            codec.write(b, LogRecord.builder().message("x").build(), 0L);
            b.writeByte(0, (byte) 9);
            CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> codec.read(b));
            assertTrue(e.getMessage().contains("version 9"), e.getMessage());
        } finally {
            b.releaseLast();
        }
    }

    @Test
    void truncatedRecordIsCorruptNotGarbage() {
        LogRecord r = LogRecord.builder().message("a message long enough to cut").field("k", "v").build();
        Bytes<?> full = Bytes.allocateElasticOnHeap(64);
        try {
            long n = codec.write(full, r, 0L);
            for (long cut = 0; cut < n; cut++) {
                Bytes<?> part = Bytes.allocateElasticOnHeap(64);
                try {
                    part.write(full, 0, cut);
                    assertThrows(CorruptRecordException.class, () -> codec.read(part), "cut at " + cut);
                } finally {
                    part.releaseLast();
                }
            }
        } finally {
            full.releaseLast();
        }
    }

    @Test
    void receiveTimeIsAtItsDocumentedOffset() {
        Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        try {
            codec.write(b, LogRecord.builder().receiveTimeNanos(1234567890123L).build(), 0L);
            assertEquals(1234567890123L, RecordCodec.peekReceiveTimeNanos(b));
            assertEquals(0, b.readPosition());
        } finally {
            b.releaseLast();
        }
    }
}
