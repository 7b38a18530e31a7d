package dev.logpipe.collector.internal.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogLimiterTest {

    @Test
    void letsAFewThroughPerWindowAndSaysHowManyItLeftOut() {
        AtomicLong now = new AtomicLong(-5); // nanoTime may be negative
        LogLimiter l = new LogLimiter(3, TimeUnit.SECONDS.toNanos(60), now::get);
        assertEquals("", l.admit());
        assertEquals("", l.admit());
        assertEquals(" (more like it in the next 60 s are counted in the metrics, not logged)", l.admit());
        assertNull(l.admit());
        assertNull(l.admit());
        now.addAndGet(TimeUnit.SECONDS.toNanos(60) - 1);
        assertNull(l.admit(), "the window has not ended");
        now.addAndGet(1);
        assertEquals(" (3 more like it were not logged)", l.admit());
        assertEquals("", l.admit());
    }
}
