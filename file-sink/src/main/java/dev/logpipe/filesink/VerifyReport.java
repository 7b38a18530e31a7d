package dev.logpipe.filesink;

import java.time.Instant;
import java.util.List;

/**
 * What {@link JournalVerifier#verify} found in a journal.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param segmentList every segment file, oldest first
 * @param records records that decoded (and whose checksum matched, where they have one)
 * @param uncheckedRecords of those, records of layout version 1, which have no checksum
 * @param firstIndex the first record's index, -1 if none
 * @param lastIndex the last record's index, -1 if none
 * @param firstReceiveTime the first record's receive time, null if none
 * @param lastReceiveTime the last record's receive time, null if none
 * @param outOfOrderTimes records received earlier than the record before them (not damage: receive
 *     times are stamped before records meet in the channel; large numbers make time search approximate)
 * @param damage what is wrong, one entry per problem; empty when the journal is sound
 * @param notes what is worth knowing but is not damage (unchecked records, an excerpt left unfinished
 *     by a writer that was killed)
 */
public record VerifyReport(List<SegmentInfo> segmentList, long records, long uncheckedRecords, long firstIndex,
                           long lastIndex, Instant firstReceiveTime, Instant lastReceiveTime, long outOfOrderTimes,
                           List<Damage> damage, List<String> notes) {

    public VerifyReport {
        segmentList = List.copyOf(segmentList);
        damage = List.copyOf(damage);
        notes = List.copyOf(notes);
    }

    /** True when no damage was found. */
    public boolean ok() {
        return damage.isEmpty();
    }

    /** The number of segment files. */
    public int segments() {
        return segmentList.size();
    }

    /** The bytes the segments use (Chronicle's segment files are sparse; this is not their {@code ls -l} size). */
    public long segmentBytes() {
        long sum = 0;
        for (SegmentInfo s : segmentList) {
            sum += s.usedBytes();
        }
        return sum;
    }

    /**
     * One segment file.
     *
     * @param file its file name
     * @param records the records read from it
     * @param usedBytes the bytes it uses
     * @param firstIndex its first record's index, -1 if none
     * @param lastIndex its last record's index, -1 if none
     */
    public record SegmentInfo(String file, long records, long usedBytes, long firstIndex, long lastIndex) {
    }

    /** What kind of damage. */
    public enum Kind {
        /** A record whose checksum does not match or that does not decode. */
        RECORD,
        /** Bytes that are not a sound excerpt (zeroed, garbled, a header pointing past the data) with data around them. */
        REGION,
        /** A segment file that ends inside an excerpt. */
        TRUNCATED,
        /** Records missing between two that are there, with no damaged bytes to show for it. */
        INDEX_GAP,
        /** A segment missing from the middle of the journal. */
        MISSING_SEGMENT,
        /** A segment file that is not a Chronicle Queue segment, or whose header is damaged. */
        SEGMENT_FILE,
        /** Chronicle's {@code metadata.cq4t} missing or unreadable. */
        METADATA
    }

    /**
     * One problem found.
     *
     * @param kind what kind
     * @param segment the segment file name, or null when it is not about one segment
     * @param position the byte position in the segment, -1 if not about bytes
     * @param bytes how many bytes are affected, 0 if not about bytes
     * @param firstIndex the first journal index affected (lost), -1 if unknown or none
     * @param lastIndex the last journal index affected, -1 if unknown or none
     * @param problem what is wrong, in words
     */
    public record Damage(Kind kind, String segment, long position, long bytes, long firstIndex, long lastIndex,
                         String problem) {

        /** One line: where, how many bytes, which indexes, what. */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            if (segment != null) {
                sb.append(segment);
                if (position >= 0) {
                    sb.append(" at byte ").append(position);
                }
                if (bytes > 0) {
                    sb.append(" (").append(bytes).append(" bytes)");
                }
                sb.append(": ");
            }
            sb.append(problem);
            if (firstIndex >= 0 && lastIndex >= firstIndex) {
                long n = lastIndex - firstIndex + 1;
                sb.append(n == 1 ? "; index " + firstIndex + " lost"
                        : "; indexes " + firstIndex + ".." + lastIndex + " lost (" + n + " records)");
            } else if (firstIndex >= 0) {
                sb.append("; records from index ").append(firstIndex).append(" on lost");
            }
            return sb.toString();
        }
    }
}
