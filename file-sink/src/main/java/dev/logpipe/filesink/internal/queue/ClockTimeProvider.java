package dev.logpipe.filesink.internal.queue;

import net.openhft.chronicle.core.time.TimeProvider;

import java.time.Clock;
import java.time.Instant;

/**
 * A Chronicle {@link TimeProvider} reading a {@link Clock}, so that tests can move time across a roll
 * boundary without waiting for the wall clock.
 *
 * <p>Threading: as thread-safe as the clock.
 */
public final class ClockTimeProvider implements TimeProvider {

    private final Clock clock;

    public ClockTimeProvider(Clock clock) {
        this.clock = clock;
    }

    @Override
    public long currentTimeMillis() {
        return clock.millis();
    }

    @Override
    public long currentTimeMicros() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    @Override
    public long currentTimeNanos() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
