package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.filesink.LogRecord;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(180)
class VerifyCommandTest {

    @TempDir
    Path dir;

    private void write() throws Exception {
        try (TestJournal j = new TestJournal(dir)) {
            for (int i = 0; i < 5; i++) {
                j.append(LogRecord.builder().message("record-" + i).build());
            }
        }
    }

    @Test
    void soundJournalPrintsCountsAndRangeAndExits0() throws Exception {
        write();
        CliRun r = CliRun.run("verify", "--data", dir.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("records   5\n"), r.out());
        assertTrue(r.out().contains("segments  1 ("), r.out());
        assertTrue(r.out().matches("(?s).*index     \\d+ \\.\\. \\d+\n.*"), r.out());
        assertTrue(r.out().contains("ok: no damage found"), r.out());
    }

    @Test
    void damagedRecordIsReportedWithExit1AndTailSkipsIt() throws Exception {
        write();
        Path seg;
        try (Stream<Path> files = Files.list(dir)) {
            seg = files.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
        // Overwrite the layout version byte of record-2 (the body starts: version 2, level UNSET 0,
        // format EMBEDDED 4, no syslog 0) with 0x7F, as a bad disk block would.
        byte[] head = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.READ)) {
            ByteBuffer bb = ByteBuffer.wrap(head);
            while (bb.hasRemaining() && ch.read(bb) > 0) {
                // fill with the head of the (sparse) segment file, where the records are
            }
        }
        int marker = indexOf(head, "record-2".getBytes(StandardCharsets.US_ASCII), 0);
        assertTrue(marker > 0);
        int start = -1;
        for (int i = marker - 4; i >= 0; i--) {
            if (head[i] == 2 && head[i + 1] == 0 && head[i + 2] == 4 && head[i + 3] == 0) {
                start = i;
                break;
            }
        }
        assertTrue(start > 0);
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0x7F}), start);
        }

        CliRun r = CliRun.run("verify", "--data", dir.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("records   4\n"), r.out());
        assertTrue(r.out().contains("DAMAGED: 1 problem found"), r.out());
        assertTrue(r.out().contains("first byte 127"), r.out());
        assertTrue(r.out().matches("(?s).*\\n  \\d{8}-\\d{2}LS\\.cq4 at byte \\d+ \\(\\d+ bytes\\): .*; index \\d+ lost\\n.*"), r.out());
        assertTrue(r.err().contains("is damaged"), r.err());

        CliRun tail = CliRun.run("tail", "--data", dir.toString(), "--from-start");
        assertEquals(0, tail.code(), tail.toString());
        assertEquals(4, tail.out().split("\n").length, tail.toString());
        assertTrue(!tail.out().contains("record-2"), tail.out());
        assertTrue(tail.err().startsWith("logpipe tail: skipped "), tail.err());
        assertEquals(1, tail.err().split("\n").length, tail.err());
        assertEquals(1, tail.err().split("logpipe verify", -1).length - 1, "the verify hint once: " + tail.err());
    }

    @Test
    void missingDirectoryIsAUsageError() {
        CliRun r = CliRun.run("verify", "--data", dir.resolve("nope").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("no journal at " + dir.resolve("nope") + " (directory not found); pass --data DIR"), r.err());
    }

    @Test
    void emptyDirectoryIsNotAJournal() {
        CliRun r = CliRun.run("verify", "--data", dir.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("logpipe verify: no journal at " + dir), r.err());
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
