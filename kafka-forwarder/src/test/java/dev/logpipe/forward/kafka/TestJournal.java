package dev.logpipe.forward.kafka;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.FileSink;
import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.runtime.TaskRuntime;
import dev.logpipe.testsupport.MutableClock;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Test fixture: a journal written in this JVM with a minutely roll and a hand-moved clock. Record n
 * has message {@code m<n>}, field {@code n}, service {@code svc-<n mod 3>}.
 */
final class TestJournal implements AutoCloseable {

    static final Instant BASE = Instant.parse("2026-11-25T10:00:00Z");

    final Path dir;
    final MutableClock clock = new MutableClock(BASE);
    private final TaskRuntime runtime;
    private final FileSink sink;
    private final Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(4096);
    private long next;

    TestJournal(Path dir) {
        this(dir, b -> b);
    }

    /** A journal (new, or one written before) whose next record is number {@code next}. */
    TestJournal(Path dir, long next) {
        this(dir, b -> b);
        this.next = next;
    }

    TestJournal(Path dir, UnaryOperator<FileSink.Builder> config) {
        this.dir = dir;
        this.runtime = TaskRuntime.builder().workerThreads(2).maxBlockingThreads(4).threadNamePrefix("journal").build();
        this.sink = config.apply(FileSink.builder(dir).runtime(runtime).rollCycle(RollCycle.MINUTELY)
                .timeProvider(clock)).build();
        sink.start(ch.receiver());
    }

    static LogRecord record(long n) {
        long nanos = BASE.toEpochMilli() * 1_000_000L + n * 1_000L;
        return LogRecord.builder().receiveTimeNanos(nanos).eventTimeNanos(nanos).service("svc-" + (n % 3))
                .host("h1").message("m" + n).field("n", Long.toString(n)).build();
    }

    static long numberOf(String json) {
        int i = json.indexOf("\"message\":\"m");
        int j = json.indexOf('"', i + 12);
        return Long.parseLong(json.substring(i + 12, j));
    }

    /** Appends the next {@code count} records and waits until they are written; returns the last number. */
    long append(int count) throws Exception {
        List<AppendRequest> reqs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            AppendRequest r = AppendRequest.withReceipt(record(next++));
            reqs.add(r);
            ch.sender().blockingSend(r);
        }
        if (!reqs.isEmpty()) {
            reqs.get(reqs.size() - 1).written().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
        return next - 1;
    }

    long written() {
        return next;
    }

    /** Moves the clock one minute on: the next record goes to a new segment. */
    void roll() {
        clock.advance(Duration.ofMinutes(1));
    }

    FileSink sink() {
        return sink;
    }

    /** Every record in the journal, in index order. */
    List<ReadRecord> readAll() {
        List<ReadRecord> out = new ArrayList<>();
        try (JournalReader r = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                out.add(rr);
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        ch.sender().close();
        sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        runtime.shutdown(Duration.ofSeconds(5));
    }
}
