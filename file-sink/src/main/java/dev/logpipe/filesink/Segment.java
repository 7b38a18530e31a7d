package dev.logpipe.filesink;

import java.nio.file.Path;
import java.time.Instant;

/**
 * One segment file of the journal: the records of one roll cycle. Published on
 * {@link FileSink#segments()} each time the writer starts a new one.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param cycle the roll-cycle number (cycle lengths since the epoch)
 * @param file the segment file, or {@code null} for {@link #NONE}
 * @param start when the cycle starts, UTC
 * @param firstIndex the index of the first record the writer appended to it in this run, -1 if none
 */
public record Segment(int cycle, Path file, Instant start, long firstIndex) {

    /** The value before the writer has opened any segment. */
    public static final Segment NONE = new Segment(-1, null, Instant.EPOCH, -1);
}
