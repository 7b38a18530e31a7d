package dev.logpipe.filesink.internal.codec;

import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.SyslogInfo;
import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Pins the record layout to the bytes in {@code golden/record-v2.hex} (the example in FORMAT.md),
 * and keeps version 1 ({@code golden/record-v1.hex}) readable. If this fails, the layout changed:
 * either undo the change, or bump {@link RecordCodec#VERSION}, keep a reader for the older versions,
 * document the new one in FORMAT.md and add a golden file for it.
 */
class RecordCodecGoldenTest {

    static LogRecord goldenRecord() {
        return LogRecord.builder()
                .receiveTimeNanos(1_764_000_000_123_456_789L)
                .eventTimeNanos(1_764_000_000_000_000_000L)
                .level(Level.WARN)
                .format(SourceFormat.SYSLOG_5424)
                .host("web-1")
                .service("billing")
                .source("tcp:127.0.0.1:40000")
                .message("card declined é")
                .field("customer", "c-42")
                .fieldJson("attempt", "3")
                .syslog(new SyslogInfo(16, 4, "billing", "77", "PAY", ""))
                .flag(RecordFlag.TRUNCATED)
                .build();
    }

    /** The index the golden version 2 record is stored with. */
    static final long GOLDEN_INDEX = 128_534_111_877_857_282L;

    private static String golden() throws IOException {
        return golden("/golden/record-v2.hex");
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = RecordCodecGoldenTest.class.getResourceAsStream(name)) {
            assertNotNull(in, "golden file missing");
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).replaceAll("\\s+", "");
        }
    }

    @Test
    void encodingMatchesTheGoldenBytes() throws IOException {
        Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        try {
            new RecordCodec().write(b, goldenRecord(), GOLDEN_INDEX);
            byte[] actual = b.toByteArray();
            assertEquals(golden(), HexFormat.of().formatHex(actual));
        } finally {
            b.releaseLast();
        }
    }

    @Test
    void goldenBytesDecodeToTheGoldenRecord() throws IOException {
        byte[] bytes = HexFormat.of().parseHex(golden());
        Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        try {
            b.write(bytes);
            RecordCodec codec = new RecordCodec();
            assertEquals(goldenRecord(), codec.read(b));
            assertEquals(GOLDEN_INDEX, codec.lastIndex());
            assertTrue(codec.lastChecked());
        } finally {
            b.releaseLast();
        }
    }

    @Test
    void version1GoldenBytesStillDecodeUnchecked() throws IOException {
        byte[] bytes = HexFormat.of().parseHex(golden("/golden/record-v1.hex"));
        RecordCodec codec = new RecordCodec();
        assertEquals(goldenRecord(), codec.read(bytes, 0, bytes.length));
        assertEquals(-1, codec.lastIndex());
        assertFalse(codec.lastChecked());
    }
}
