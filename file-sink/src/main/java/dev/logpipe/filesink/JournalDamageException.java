package dev.logpipe.filesink;

import java.nio.file.Path;

/**
 * A {@link JournalReader} stepped over damage: a record whose checksum does not match, or bytes
 * that are not a sound excerpt. The reader has already moved past it: the next call returns the next
 * valid record (in this segment or a later one). Never a record returned as data.
 *
 * <p>Threading: immutable once thrown.
 */
public final class JournalDamageException extends IllegalStateException {

    private final transient Path segment;
    private final long position;
    private final long bytes;
    private final long firstIndex;
    private final long lastIndex;

    /**
     * @param segment the segment file
     * @param position the damaged region's first byte in it
     * @param bytes the region's size
     * @param firstIndex the first index lost, -1 if unknown or none
     * @param lastIndex the last index lost, -1 if unknown
     * @param problem what is wrong
     */
    public JournalDamageException(Path segment, long position, long bytes, long firstIndex, long lastIndex,
                                  String problem) {
        super(describe(segment, position, bytes, firstIndex, lastIndex, problem));
        this.segment = segment;
        this.position = position;
        this.bytes = bytes;
        this.firstIndex = firstIndex;
        this.lastIndex = lastIndex;
    }

    private static String describe(Path segment, long position, long bytes, long firstIndex, long lastIndex,
                                   String problem) {
        if (bytes == 0 && position == 0 && firstIndex < 0) {
            return segment.getFileName() + ": " + problem; // a whole segment, not bytes in one (a missing one)
        }
        StringBuilder sb = new StringBuilder("skipped ").append(bytes).append(" damaged bytes in ")
                .append(segment.getFileName()).append(" at byte ").append(position);
        if (firstIndex >= 0 && lastIndex == firstIndex) {
            sb.append(" (index ").append(firstIndex).append(")");
        } else if (firstIndex >= 0 && lastIndex > firstIndex) {
            sb.append(" (indexes ").append(firstIndex).append("..").append(lastIndex).append(", ")
                    .append(lastIndex - firstIndex + 1).append(" records)");
        } else if (firstIndex >= 0) {
            sb.append(" (records from index ").append(firstIndex).append(")");
        }
        return sb.append(": ").append(problem).toString();
    }

    /** The segment file. */
    public Path segment() {
        return segment;
    }

    /** The first damaged byte's position in the segment. */
    public long position() {
        return position;
    }

    /** How many bytes were skipped. */
    public long bytes() {
        return bytes;
    }

    /** The first journal index lost, -1 if unknown or none. */
    public long firstIndex() {
        return firstIndex;
    }

    /** The last journal index lost, -1 if unknown. */
    public long lastIndex() {
        return lastIndex;
    }
}
