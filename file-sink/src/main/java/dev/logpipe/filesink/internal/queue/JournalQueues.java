package dev.logpipe.filesink.internal.queue;

import dev.logpipe.filesink.RollCycle;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens the journal's Chronicle queue, for the writer or read-only, and maps segment files to cycles.
 *
 * <p>Threading: stateless, thread-safe. The queues it returns are thread-safe; their appenders and
 * tailers are confined to the thread that created them.
 */
public final class JournalQueues {

    /** Chronicle's suffix for segment files. */
    public static final String SEGMENT_SUFFIX = ".cq4";

    private JournalQueues() {
    }

    /**
     * Opens {@code dir} for appending, mapping segments in pieces of {@code chunkBytes}
     * ({@link dev.logpipe.filesink.JournalSettings#chunkBytes()}: Chronicle takes excerpts of up to a
     * quarter of it); the caller holds the directory lock.
     */
    public static SingleChronicleQueue openForWrite(Path dir, RollCycle cycle, TimeProvider time, long chunkBytes) {
        return base(dir, cycle).timeProvider(time).blockSize(chunkBytes).build();
    }

    /** {@link #openForWrite(Path, RollCycle, TimeProvider, long)} with the default record size's pieces. */
    public static SingleChronicleQueue openForWrite(Path dir, RollCycle cycle, TimeProvider time) {
        return openForWrite(dir, cycle, time,
                dev.logpipe.filesink.JournalSettings.chunkBytesFor(dev.logpipe.filesink.JournalSettings.DEFAULT_MAX_RECORD_BYTES));
    }

    /** Opens {@code dir} read-only: never creates or changes a file, safe while another process writes. */
    public static SingleChronicleQueue openReadOnly(Path dir, RollCycle cycle) {
        return base(dir, cycle).readOnly(true).build();
    }

    private static SingleChronicleQueueBuilder base(Path dir, RollCycle cycle) {
        return SingleChronicleQueueBuilder.binary(dir)
                .rollCycle(ChronicleRollCycles.of(cycle))
                // A writer killed mid-append leaves an unfinished header; the next writer waits this
                // long before it treats it as abandoned. Our directory lock already rules out a live
                // second writer, so this need not be Chronicle's 10 s default.
                .timeoutMS(2_000);
    }

    /** The segment file of {@code cycle}. */
    public static Path segmentFile(Path dir, RollCycle rollCycle, int cycle) {
        net.openhft.chronicle.queue.RollCycle rc = ChronicleRollCycles.of(rollCycle);
        Instant start = Instant.ofEpochMilli((long) cycle * rc.lengthInMillis());
        return dir.resolve(formatter(rc).format(start) + SEGMENT_SUFFIX);
    }

    /** The start of {@code cycle}. */
    public static Instant cycleStart(RollCycle rollCycle, int cycle) {
        return Instant.ofEpochMilli((long) cycle * ChronicleRollCycles.of(rollCycle).lengthInMillis());
    }

    /**
     * The cycle of a segment file name, or -1 if the name is not a segment of this roll cycle.
     */
    public static int cycleOf(RollCycle rollCycle, Path file) {
        String name = file.getFileName().toString();
        if (!name.endsWith(SEGMENT_SUFFIX)) {
            return -1;
        }
        net.openhft.chronicle.queue.RollCycle rc = ChronicleRollCycles.of(rollCycle);
        String stem = name.substring(0, name.length() - SEGMENT_SUFFIX.length());
        try {
            TemporalAccessor t = formatter(rc).parse(stem);
            long epochDay = t.getLong(ChronoField.EPOCH_DAY);
            long millis = epochDay * 86_400_000L;
            if (t.isSupported(ChronoField.HOUR_OF_DAY)) {
                millis += t.getLong(ChronoField.HOUR_OF_DAY) * 3_600_000L;
            }
            if (t.isSupported(ChronoField.MINUTE_OF_HOUR)) {
                millis += t.getLong(ChronoField.MINUTE_OF_HOUR) * 60_000L;
            }
            String back = formatter(rc).format(Instant.ofEpochMilli(millis));
            return back.equals(stem) ? (int) (millis / rc.lengthInMillis()) : -1;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Every segment of {@code dir}, oldest first. */
    public static List<SegmentFile> listSegments(Path dir, RollCycle rollCycle) throws IOException {
        List<SegmentFile> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SEGMENT_SUFFIX)) {
            for (Path p : ds) {
                int c = cycleOf(rollCycle, p);
                if (c >= 0) {
                    long size;
                    try {
                        size = Files.size(p);
                    } catch (NoSuchFileException e) {
                        continue; // deleted meanwhile
                    }
                    out.add(new SegmentFile(c, p, size));
                }
            }
        }
        out.sort((a, b) -> Integer.compare(a.cycle(), b.cycle()));
        return out;
    }

    private static DateTimeFormatter formatter(net.openhft.chronicle.queue.RollCycle rc) {
        return DateTimeFormatter.ofPattern(rc.format()).withZone(ZoneOffset.UTC);
    }

    /**
     * One segment file on disk.
     *
     * @param cycle its cycle number
     * @param file its path
     * @param bytes its size in bytes
     */
    public record SegmentFile(int cycle, Path file, long bytes) {
    }
}
