package dev.logpipe.filesink;

import java.time.Instant;
import java.util.List;

/**
 * What {@link JournalVerifier#verify} found in a journal.
 *
 * <p>Threading: immutable, thread-safe.
 *
 * @param segments segment files
 * @param segmentBytes the bytes they use (Chronicle's segment files are sparse; this is not their {@code ls -l} size)
 * @param records records that decoded
 * @param firstIndex the first record's index, -1 if none
 * @param lastIndex the last record's index, -1 if none
 * @param firstReceiveTime the first record's receive time, null if none
 * @param lastReceiveTime the last record's receive time, null if none
 * @param outOfOrderTimes records received earlier than the record before them (not damage: receive
 *     times are stamped before records meet in the channel; large numbers make time search approximate)
 * @param damage what is wrong, one entry per problem; empty when the journal is sound
 */
public record VerifyReport(int segments, long segmentBytes, long records, long firstIndex, long lastIndex,
                           Instant firstReceiveTime, Instant lastReceiveTime, long outOfOrderTimes,
                           List<Damage> damage) {

    public VerifyReport {
        damage = List.copyOf(damage);
    }

    /** True when no damage was found. */
    public boolean ok() {
        return damage.isEmpty();
    }

    /**
     * One problem found.
     *
     * @param index the journal index it concerns, or -1 when it is not about one record
     * @param problem what is wrong
     */
    public record Damage(long index, String problem) {
    }
}
