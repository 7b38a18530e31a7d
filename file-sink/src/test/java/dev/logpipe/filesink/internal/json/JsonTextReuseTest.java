package dev.logpipe.filesink.internal.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.SyslogInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** {@link JsonText#append} keeps a generator per thread: what it writes must not depend on what it wrote before. */
class JsonTextReuseTest {

    private static List<LogRecord> records() {
        List<LogRecord> out = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            LogRecord.Builder b = LogRecord.builder().receiveTimeNanos(1_765_000_000_000_000_000L + i * 123_456_789L)
                    .eventTimeNanos(1_765_000_000_000_000_000L + i * 1_000_000L).level(Level.values()[i % Level.values().length])
                    .host("h" + i).service("svc").message(i % 3 == 0 ? "line \"" + i + "\"\n\u0001\u00e9" : "m" + i)
                    .source("tcp:127.0.0.1:" + i).format(SourceFormat.values()[i % SourceFormat.values().length]);
            for (int f = 0; f < i % 5; f++) {
                b.field("f" + f, "v" + f);
            }
            if (i % 4 == 0) {
                b.fieldJson("j", "{\"a\":[1,2]}");
            }
            if (i % 6 == 0) {
                b.flag(RecordFlag.TRUNCATED);
            }
            if (i % 7 == 0) {
                b.syslog(new SyslogInfo(3, 6, "app", "42", "ID7", "[x a=\"b\"]"));
            }
            out.add(b.build());
        }
        return out;
    }

    private static String fresh(long index, LogRecord r) throws Exception {
        // a new thread has no generator yet: its first call makes one
        var pool = Executors.newSingleThreadExecutor();
        try {
            return CompletableFuture.supplyAsync(() -> JsonText.append(new StringBuilder(), g -> JsonText.record(g, index, r))
                    .toString(), pool).get();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void eachRecordIsWrittenAsByAFreshGenerator() throws Exception {
        List<LogRecord> rs = records();
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < rs.size(); i++) {
            String once = JsonText.append(new StringBuilder(), gen(i, rs.get(i))).toString();
            assertEquals(fresh(i, rs.get(i)), once, "record " + i);
            JsonText.append(all, gen(i, rs.get(i))).append('\n');
        }
        String[] lines = all.toString().split("\n");
        assertEquals(rs.size(), lines.length);
        for (int i = 0; i < rs.size(); i++) {
            assertEquals(fresh(i, rs.get(i)), lines[i], "appended after others, record " + i);
        }
    }

    @Test
    void aContentThatFailsLeavesNothingHalfWrittenForTheNextCall() throws Exception {
        LogRecord r = records().get(3);
        assertThrows(IllegalStateException.class, () -> JsonText.append(new StringBuilder(), g -> {
            g.writeStartObject();
            g.writeStringField("half", "way");
            throw new IllegalStateException("content failed");
        }));
        assertEquals(fresh(3, r), JsonText.append(new StringBuilder(), gen(3, r)).toString());
    }

    private static JsonText.Content gen(long index, LogRecord r) {
        return g -> JsonText.record(g, index, r);
    }
}
