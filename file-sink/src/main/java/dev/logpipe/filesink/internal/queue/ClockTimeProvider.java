package dev.logpipe.filesink.internal.queue;

import net.openhft.chronicle.core.time.TimeProvider;

import java.time.Clock;
import java.time.Instant;

/**
 * A Chronicle {@link TimeProvider} reading a {@link Clock}, so that tests can move time across a roll
 * boundary without waiting for the wall clock. With a floor, it never reads earlier than the floor:
 * the writer uses that to start in the next cycle's segment when the current one ends in damage.
 *
 * <p>Threading: as thread-safe as the clock.
 */
public final class ClockTimeProvider implements TimeProvider {

    private final Clock clock;
    private final Instant floor;

    public ClockTimeProvider(Clock clock) {
        this(clock, Instant.MIN);
    }

    /** A time provider that reads {@code clock}, but never earlier than {@code floor}. */
    public ClockTimeProvider(Clock clock, Instant floor) {
        this.clock = clock;
        this.floor = floor;
    }

    private Instant now() {
        Instant now = clock.instant();
        return now.isBefore(floor) ? floor : now;
    }

    @Override
    public long currentTimeMillis() {
        return now().toEpochMilli();
    }

    @Override
    public long currentTimeMicros() {
        Instant now = now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    @Override
    public long currentTimeNanos() {
        Instant now = now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
