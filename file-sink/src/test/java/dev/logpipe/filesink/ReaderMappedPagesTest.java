package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A reader's resident memory does not grow with what it has read: the pages of the segment it has
 * gone past leave its mapping (they stay in the page cache), and every record still reads back whole.
 * Checked in the process's own {@code /proc/self/smaps}, so Linux only.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReaderMappedPagesTest {

    private static final int RECORDS = 12_000;
    /** About 8 KiB a record: 12,000 records are ~96 MiB, more than one of Chronicle's 64 MiB mapping chunks. */
    private static final int BODY = 8_000;

    @TempDir
    Path dir;

    @RegisterExtension
    final TestRuntime runtime = new TestRuntime();

    private static String body(int n) {
        char c = (char) ('a' + n % 26);
        return Integer.toString(n) + ":" + String.valueOf(c).repeat(BODY);
    }

    @Test
    void aReaderKeepsLittleOfTheSegmentMappedAndReadsEveryRecordWhole() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/smaps")), "needs Linux's /proc/self/smaps");
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(256);
        sink.start(ch.receiver());
        for (int i = 0; i < RECORDS; i++) {
            ch.sender().blockingSend(AppendRequest.of(LogRecord.builder().receiveTimeNanos(i + 1).message(body(i)).build()));
        }
        ch.sender().close();
        assertEquals(RECORDS, sink.terminated().toCompletableFuture().get(60, TimeUnit.SECONDS).writtenRecords());
        List<Path> segments;
        try (var s = Files.list(dir)) {
            segments = s.filter(p -> p.toString().endsWith(".cq4")).toList();
        }
        assertEquals(1, segments.size(), "one segment");
        long fileBytes = Files.size(segments.get(0));
        assertTrue(fileBytes > 90L << 20, "the segment spans more than one mapping chunk: " + fileBytes);

        long peak = 0;
        try (JournalReader reader = JournalReader.builder(dir).fromStart().build()) {
            for (int i = 0; i < RECORDS; i++) {
                ReadRecord r = reader.next();
                assertNotNull(r, "record " + i);
                assertEquals(body(i), r.record().message(), "record " + i);
                if (i % 1000 == 999) {
                    peak = Math.max(peak, residentBytesOf(segments.get(0)));
                }
            }
            assertNull(reader.next(), "nothing more");
            long resident = residentBytesOf(segments.get(0));
            // without the release, the pages read stay mapped: tens of MiB here, most of the file
            assertTrue(resident < 8L << 20, "resident pages of the segment after reading it all: " + resident);
            assertTrue(peak < 12L << 20, "resident pages of the segment while reading: " + peak);
            // what was dropped from the mapping reads again, from the page cache
        }
        try (JournalReader again = JournalReader.builder(dir).fromIndex(firstIndexPlus(RECORDS / 2)).build()) {
            ReadRecord r = again.next();
            assertEquals(body(RECORDS / 2), r.record().message());
        }
    }

    private long firstIndexPlus(int n) {
        try (JournalReader reader = JournalReader.builder(dir).fromStart().build()) {
            return reader.next().index() + n;
        }
    }

    private static final java.util.regex.Pattern MAPPING = java.util.regex.Pattern.compile("[0-9a-f]+-[0-9a-f]+ ");

    /** The resident bytes of every mapping of {@code file} in this process. */
    private static long residentBytesOf(Path file) throws IOException {
        String name = file.toRealPath().toString();
        long kib = 0;
        boolean inFile = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (MAPPING.matcher(line).lookingAt()) {
                inFile = line.endsWith(name);
            } else if (inFile && line.startsWith("Rss:")) {
                kib += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return kib << 10;
    }
}
