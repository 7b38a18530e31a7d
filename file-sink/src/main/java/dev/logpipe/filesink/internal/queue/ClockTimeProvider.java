package dev.logpipe.filesink.internal.queue;

import net.openhft.chronicle.core.time.TimeProvider;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The writer's Chronicle {@link TimeProvider}: it reads a {@link Clock} (tests move it across a roll
 * boundary without waiting), but never goes back. Chronicle appends to the segment of the cycle its
 * time provider reads; a cycle earlier than one already written would put new records before older
 * ones in index order, and one already closed by an end-of-cycle marker refuses every append. So the
 * time read never falls below a floor, and the floor rises with every read: a system clock stepped
 * back keeps the writer in its current segment until the clock catches up.
 *
 * <p>The initial floor is where the journal ends: the start of its last segment's cycle (or of the
 * cycle after it, when that segment ends in damage and the writer must not append behind it).
 *
 * <p>Threading: thread-safe.
 */
public final class ClockTimeProvider implements TimeProvider {

    private final Clock clock;
    /** Epoch millis never to read below: the highest time read so far, or the initial floor. */
    private final AtomicLong floorMillis;

    public ClockTimeProvider(Clock clock) {
        this(clock, Instant.EPOCH);
    }

    /** A time provider that reads {@code clock}, never earlier than {@code floor}, and never backwards. */
    public ClockTimeProvider(Clock clock, Instant floor) {
        this.clock = clock;
        this.floorMillis = new AtomicLong(Math.max(0, floor.toEpochMilli()));
    }

    /** The clock's time in epoch nanoseconds if it is not below the floor, else the floor's. */
    private long nowNanos() {
        Instant now = clock.instant();
        long millis = now.toEpochMilli();
        long floor = floorMillis.get();
        if (millis < floor) {
            return floor * 1_000_000L;
        }
        if (millis > floor) {
            floorMillis.accumulateAndGet(millis, Math::max);
        }
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    public long currentTimeMillis() {
        long now = clock.millis();
        long floor = floorMillis.get();
        if (now < floor) {
            return floor;
        }
        if (now > floor) {
            floorMillis.accumulateAndGet(now, Math::max);
        }
        return now;
    }

    @Override
    public long currentTimeMicros() {
        return nowNanos() / 1_000;
    }

    @Override
    public long currentTimeNanos() {
        return nowNanos();
    }
}
