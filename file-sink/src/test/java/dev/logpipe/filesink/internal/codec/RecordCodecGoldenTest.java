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
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Pins the record layout to the bytes in {@code golden/record-v1.hex} (the example in FORMAT.md).
 * If this fails, the layout changed: either undo the change, or bump {@link RecordCodec#VERSION},
 * keep a reader for version 1, document version 2 in FORMAT.md and add a second golden file.
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

    private static String golden() throws IOException {
        try (InputStream in = RecordCodecGoldenTest.class.getResourceAsStream("/golden/record-v1.hex")) {
            assertNotNull(in, "golden file missing");
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).replaceAll("\\s+", "");
        }
    }

    @Test
    void encodingMatchesTheGoldenBytes() throws IOException {
        Bytes<?> b = Bytes.allocateElasticOnHeap(64);
        try {
            new RecordCodec().write(b, goldenRecord());
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
            assertEquals(goldenRecord(), new RecordCodec().read(b));
        } finally {
            b.releaseLast();
        }
    }
}
