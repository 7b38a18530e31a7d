package dev.logpipe.filesink;

import dev.logpipe.testsupport.MutableClock;
import dev.logpipe.channels.Mpsc;
import dev.logpipe.runtime.TaskRuntime;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test fixture: writes journals with a minutely roll and a hand-moved clock. */
final class Journals {

    /** Receive times of record n: base + n milliseconds. */
    static final Instant BASE = Instant.parse("2026-11-25T10:00:00Z");

    private Journals() {
    }

    static LogRecord timed(long n) {
        long nanos = (BASE.toEpochMilli() + n) * 1_000_000L;
        return LogRecord.builder().receiveTimeNanos(nanos).eventTimeNanos(nanos).message("m" + n)
                .field("n", Long.toString(n)).build();
    }

    /**
     * Writes {@code perSegment} records into each of {@code segments} minutely segments, record n
     * received at BASE + n ms, and returns the sink's report.
     */
    static WriterReport write(Path dir, TaskRuntime runtime, int segments, int perSegment, SinkListener listener)
            throws Exception {
        MutableClock clock = new MutableClock(BASE);
        FileSink sink = FileSink.builder(dir).runtime(runtime).rollCycle(RollCycle.MINUTELY).timeProvider(clock)
                .listener(listener).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(1024);
        sink.start(ch.receiver());
        long n = 0;
        for (int s = 0; s < segments; s++) {
            clock.set(BASE.plus(Duration.ofMinutes(s)));
            List<AppendRequest> reqs = new ArrayList<>();
            for (int i = 0; i < perSegment; i++) {
                AppendRequest r = AppendRequest.withReceipt(timed(n++));
                reqs.add(r);
                ch.sender().blockingSend(r);
            }
            // wait until this segment's records are appended before moving the clock
            reqs.get(reqs.size() - 1).written().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        ch.sender().close();
        return sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
