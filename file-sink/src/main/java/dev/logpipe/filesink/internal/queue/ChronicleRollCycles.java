package dev.logpipe.filesink.internal.queue;

import dev.logpipe.filesink.RollCycle;
import net.openhft.chronicle.queue.rollcycles.LargeRollCycles;
import net.openhft.chronicle.queue.rollcycles.RollCycleArithmetic;
import net.openhft.chronicle.queue.rollcycles.SparseRollCycles;

/**
 * Maps logpipe's {@link RollCycle} to Chronicle Queue roll cycles.
 *
 * <p>Chronicle 2026.4 index limits per cycle (indexCount² × indexSpacing): plain {@code HOURLY} (now
 * {@code LegacyRollCycles.HOURLY}) 2.7e8, {@code LARGE_HOURLY} 4.29e9 (1.19 M/s, barely over 1 M/s),
 * {@code LARGE_HOURLY_SPARSE} 1.72e10 (4.77 M/s), {@code XLARGE_DAILY} 2.75e11 (3.18 M/s), legacy
 * {@code MINUTELY} 6.7e7 (1.12 M/s). No built-in minutely cycle has head-room, so MINUTELY is our own
 * cycle with 4096 × 4096 × 64 = 1.07e9 entries a minute.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class ChronicleRollCycles {

    private ChronicleRollCycles() {
    }

    /** The Chronicle roll cycle behind {@code cycle}. */
    public static net.openhft.chronicle.queue.RollCycle of(RollCycle cycle) {
        return switch (cycle) {
            case MINUTELY -> LargeMinutely.INSTANCE;
            case HOURLY -> SparseRollCycles.LARGE_HOURLY_SPARSE;
            case DAILY -> LargeRollCycles.XLARGE_DAILY;
        };
    }

    /**
     * A minutely cycle with a large index. An enum so that Chronicle can compare it by identity; its
     * file name format is unique to logpipe ({@code yyyyMMdd-HHmm'LM'}).
     */
    enum LargeMinutely implements net.openhft.chronicle.queue.RollCycle {
        INSTANCE;

        private final RollCycleArithmetic arithmetic = RollCycleArithmetic.of(4096, 64);

        @Override
        public String format() {
            return "yyyyMMdd-HHmm'LM'";
        }

        @Override
        public int lengthInMillis() {
            return 60_000;
        }

        @Override
        public int defaultIndexCount() {
            return arithmetic.indexCount();
        }

        @Override
        public int defaultIndexSpacing() {
            return arithmetic.indexSpacing();
        }

        @Override
        public long toIndex(int cycle, long sequenceNumber) {
            return arithmetic.toIndex(cycle, sequenceNumber);
        }

        @Override
        public long toSequenceNumber(long index) {
            return arithmetic.toSequenceNumber(index);
        }

        @Override
        public int toCycle(long index) {
            return arithmetic.toCycle(index);
        }

        @Override
        public long maxMessagesPerCycle() {
            return arithmetic.maxMessagesPerCycle();
        }
    }
}
