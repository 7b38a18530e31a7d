package dev.logpipe.filesink;

import java.time.Duration;

/**
 * How often the journal starts a new segment file. Each cycle maps to a Chronicle Queue roll
 * cycle whose index space holds far more records than logpipe can write in one cycle (see
 * {@link #maxRecordsPerCycle()}); Chronicle's plain {@code HOURLY} holds only 268 million records an
 * hour (75,000/s), which is why it is not used.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum RollCycle {
    /** One segment a minute, up to 1,073,741,824 records each (17.9 million/s). For tests and short retention. */
    MINUTELY(Duration.ofMinutes(1), 1L << 30),
    /** One segment an hour, up to 17,179,869,183 records each (4.77 million/s). The default. */
    HOURLY(Duration.ofHours(1), (1L << 34) - 1),
    /** One segment a day, up to 274,877,906,943 records each (3.18 million/s). */
    DAILY(Duration.ofDays(1), (1L << 38) - 1);

    private final Duration length;
    private final long maxRecordsPerCycle;

    RollCycle(Duration length, long maxRecordsPerCycle) {
        this.length = length;
        this.maxRecordsPerCycle = maxRecordsPerCycle;
    }

    /** How long one segment covers. Segments start at multiples of this length since the epoch, UTC. */
    public Duration length() {
        return length;
    }

    /** The most records one segment can index. */
    public long maxRecordsPerCycle() {
        return maxRecordsPerCycle;
    }
}
