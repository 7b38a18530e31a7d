package dev.logpipe.filesink;

import dev.logpipe.testsupport.FakeFileStore;
import dev.logpipe.testsupport.MutableClock;
import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.SendResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The writer's behaviour when the file system runs out of space (driven by a {@link FakeFileStore}),
 * when it is abandoned while paused, and when an I/O error that is not lack of space hits it: in
 * every case each record a producer sent is stored exactly once, in order, or counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JournalPauseTest {

    private static final long GIB = 1L << 30;
    private static final long RESERVE = 1L << 20;

    @TempDir
    Path dir;

    @RegisterExtension
    final TestRuntime runtime = new TestRuntime();

    /** Sends records 0..total-1 with blockingSend until done or Closed; counts what was sent. */
    static final class Producer extends Thread {
        final Mpsc.Channel<AppendRequest> ch;
        final long total;
        final AtomicLong sent = new AtomicLong();
        final AtomicReference<SendResult<AppendRequest>> refused = new AtomicReference<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        /** Before sending record {@code gateAt}, wait for {@link #gate}; -1: no gate. */
        volatile long gateAt = -1;
        final java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);

        Producer(Mpsc.Channel<AppendRequest> ch, long total) {
            super("test-producer");
            this.ch = ch;
            this.total = total;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                for (long i = 0; i < total; i++) {
                    if (i == gateAt) {
                        gate.await();
                    }
                    AppendRequest req = AppendRequest.of(TestRecords.record(i));
                    SendResult<AppendRequest> r = ch.sender().blockingSend(req);
                    if (!r.isSent()) {
                        refused.set(r);
                        return;
                    }
                    sent.incrementAndGet();
                }
            } catch (Throwable t) {
                error.set(t);
            }
        }
    }

    static void await(String what, BooleanSupplier condition, Supplier<String> detail) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what + ": " + detail.get());
            }
            Thread.sleep(2); // polling interval, not the outcome
        }
    }

    private FileSink.Builder sink(FakeFileStore store) {
        return FileSink.builder(dir).runtime(runtime.get()).fileStore(store).minFreeBytes(RESERVE)
                .spaceCheckInterval(Duration.ofMillis(5)).batchSize(32).syncInterval(Duration.ofMillis(20));
    }

    private static long[] readBack(Path dir) {
        try (JournalReader r = JournalReader.open(dir)) {
            List<Long> out = new java.util.ArrayList<>();
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                out.add(TestRecords.numberOf(rr.record()));
            }
            return out.stream().mapToLong(Long::longValue).toArray();
        }
    }

    private static void assertZeroToN(long[] numbers, long n) {
        assertEquals(n, numbers.length, "records read back");
        for (int i = 0; i < numbers.length; i++) {
            if (numbers[i] != i) {
                fail("record " + i + " read back as " + numbers[i] + ": lost, duplicated or out of order");
            }
        }
    }

    @Test
    void lowSpacePausesTheWriterWhichResumesByItselfInOrderWithNothingLostOrDuplicated() throws Exception {
        FakeFileStore store = new FakeFileStore(GIB);
        FileSink sink = sink(store).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(100);
        sink.start(ch.receiver());
        assertEquals(JournalState.WRITABLE, awaitState(sink, JournalState.WRITABLE));

        long total = 20_000;
        Producer p = new Producer(ch, total);
        p.gateAt = 500;
        p.start();
        await("the first records written", () -> sink.stats().writtenRecords() == 500, () -> sink.stats().toString());
        store.usable(RESERVE / 2); // less than the reserve: the writer must stop within one re-check interval
        p.gate.countDown();

        await("the writer to pause", () -> sink.journalState() == JournalState.PAUSED, () -> sink.stats().toString());
        // Paused: the writer takes nothing more, the channel fills, the producer blocks, and every record
        // sent is either written, held by the writer or in the channel.
        await("the channel to fill", () -> ch.receiver().len() == 100, () -> "len " + ch.receiver().len());
        await("the books to settle", () -> {
            SinkStats s = sink.stats();
            return p.sent.get() == s.writtenRecords() + s.heldRecords() + ch.receiver().len();
        }, () -> "sent " + p.sent.get() + ", " + sink.stats() + ", channel " + ch.receiver().len());
        long writtenWhilePaused = sink.stats().writtenRecords();
        assertTrue(p.isAlive(), "the producer is held back, not refused");
        assertNull(p.refused.get());
        assertInstanceOf(SendResult.Full.class, ch.sender().trySend(AppendRequest.of(TestRecords.record(-1))),
                "a new send finds the channel full");
        assertTrue(writtenWhilePaused < total);
        long readsWhilePaused = store.reads();
        await("the writer to re-check on its timer", () -> store.reads() >= readsWhilePaused + 3,
                () -> "reads " + store.reads());
        assertEquals(writtenWhilePaused, sink.stats().writtenRecords(), "nothing appended while paused");
        assertEquals(JournalState.PAUSED, sink.journalState());

        store.usable(GIB); // space is back: no restart, no call
        p.join(30_000);
        assertNull(p.error.get());
        assertEquals(total, p.sent.get());
        ch.sender().close();
        WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertTrue(report.clean(), report.toString());
        assertEquals(total, report.writtenRecords());
        SinkStats s = sink.stats();
        assertEquals(1, s.pauses());
        assertTrue(s.pausedNanos() > 0);
        assertEquals(0, s.heldRecords());
        assertEquals(JournalState.STOPPED, sink.journalState());
        assertZeroToN(readBack(dir), total);
    }

    @Test
    void aPauseRunsRetentionAndSpaceItFreesResumesTheWriter() throws Exception {
        // Two segments (17:00, 17:01) from an earlier run without retention.
        MutableClock clock = new MutableClock(Instant.parse("2026-11-25T17:00:10Z"));
        FileSink earlier = sink(new FakeFileStore(GIB)).rollCycle(RollCycle.MINUTELY).timeProvider(clock).build();
        Mpsc.Channel<AppendRequest> ch0 = Mpsc.bounded(64);
        earlier.start(ch0.receiver());
        assertTrue(ch0.sender().blockingSend(AppendRequest.of(TestRecords.record(0))).isSent());
        await("record 0 written", () -> earlier.stats().writtenRecords() == 1, () -> earlier.stats().toString());
        Path first = earlier.segments().borrow().file();
        clock.set(Instant.parse("2026-11-25T17:01:10Z"));
        assertTrue(ch0.sender().blockingSend(AppendRequest.of(TestRecords.record(1))).isSent());
        ch0.sender().close();
        assertTrue(earlier.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS).clean());

        // Now the first segment is past the age limit, and space comes back only when it is deleted.
        // Nothing else runs retention (no roll before the pause, a check interval of an hour): the
        // pause itself must ask for it.
        clock.set(Instant.parse("2026-11-25T17:03:10Z"));
        FakeFileStore store = new FakeFileStore(GIB);
        store.usable(() -> Files.exists(first) ? 0 : GIB);
        FileSink sink = sink(store).rollCycle(RollCycle.MINUTELY).timeProvider(clock)
                .retentionMaxAge(Duration.ofMinutes(1)).retentionCheckInterval(Duration.ofHours(1)).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        // No check that the first segment is still there here: the writer pauses as it starts (no
        // room while the segment exists), and the retention that pause asks for may delete it before
        // this thread looks. That the pause asked for it shows below: it paused, retention deleted.
        assertTrue(ch.sender().blockingSend(AppendRequest.of(TestRecords.record(2))).isSent());
        await("record 2 written after retention freed space", () -> sink.stats().writtenRecords() == 1,
                () -> sink.stats() + ", first segment exists: " + Files.exists(first));
        assertTrue(sink.stats().pauses() >= 1, "it paused first");
        ch.sender().close();
        assertTrue(sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS).clean());
        assertTrue(sink.stats().retentionDeletedSegments() >= 1, sink.stats().toString());
        assertFalse(Files.exists(first));
        // the roll to 17:03 may also have let retention delete the 17:01 segment; record 2 is the last either way
        long[] left = readBack(dir);
        assertEquals(2, left[left.length - 1], java.util.Arrays.toString(left));
        assertTrue(java.util.Arrays.stream(left).noneMatch(n -> n == 0), java.util.Arrays.toString(left));
    }

    @Test
    void abandoningAPausedWriterFailsAndCountsWhatItHoldsAndWhatWaits() throws Exception {
        FakeFileStore store = new FakeFileStore(0); // no room from the first batch on
        FileSink sink = sink(store).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        Producer p = new Producer(ch, 1_000);
        p.start();
        await("the writer to pause", () -> sink.journalState() == JournalState.PAUSED, () -> sink.stats().toString());
        await("the channel to fill", () -> ch.receiver().len() == 64, () -> "len " + ch.receiver().len());
        AppendRequest withReceipt = AppendRequest.withReceipt(TestRecords.record(-1));
        var pendingSend = ch.sender().send(withReceipt); // waits for room that never comes

        sink.abandon();
        WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        p.join(30_000);
        assertInstanceOf(SendResult.Closed.class, p.refused.get(), "the producer got its record back");
        SendResult<AppendRequest> last = pendingSend.toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertInstanceOf(SendResult.Closed.class, last);
        assertEquals(0, report.writtenRecords());
        assertEquals(0, report.failedRecords(), "abandoned is not an error");
        assertEquals(p.sent.get(), report.abandonedRecords(), "every record sent is counted as abandoned");
        assertNull(report.error());
        assertTrue(!report.clean());
        assertEquals(JournalState.STOPPED, sink.journalState());
        assertEquals(0, readBack(dir).length);
    }

    @Test
    void aFreeSpaceCheckThatFailsStopsTheJournalLoudlyAndCountsWhatItHeld() throws Exception {
        FakeFileStore store = new FakeFileStore(GIB);
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        FileSink sink = sink(store).listener(new SinkListener() {
            @Override
            public void onError(Throwable t) {
                errors.add(t);
            }
        }).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        Producer p = new Producer(ch, 100_000);
        p.start();
        await("some records written", () -> sink.stats().writtenRecords() >= 200, () -> sink.stats().toString());
        // The failing check holds the writer until the producer has filled the channel, so records are
        // there to be counted as failed (a writer faster than the producer would otherwise find none).
        store.beforeRead(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ch.sender().capacity() > 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        });
        store.fail(new IOException("Input/output error"));

        WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        p.join(30_000);
        assertInstanceOf(SendResult.Closed.class, p.refused.get(), "the producer is refused, not held forever");
        assertInstanceOf(JournalWriteException.class, report.error());
        assertTrue(report.error().getMessage().contains("Input/output error"), report.error().getMessage());
        assertEquals(JournalState.FAILED, sink.journalState());
        assertEquals(1, errors.size(), "reported once");
        assertTrue(report.failedRecords() >= 1, report.toString());
        assertEquals(p.sent.get(), report.writtenRecords() + report.failedRecords(),
                "every record sent is written or counted as failed");
        assertZeroToN(readBack(dir), report.writtenRecords());
    }

    @Test
    void anIoErrorThatIsNotLackOfSpaceStillFailsTheJournal() throws Exception {
        // The journal's directory is replaced by a plain file; the next roll cannot create its segment.
        MutableClock clock = new MutableClock(Instant.parse("2026-11-25T17:58:10Z"));
        FakeFileStore store = new FakeFileStore(GIB);
        FileSink sink = sink(store).rollCycle(RollCycle.MINUTELY).timeProvider(clock).prefaultPages(false).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        for (int i = 0; i < 10; i++) {
            assertTrue(ch.sender().blockingSend(AppendRequest.of(TestRecords.record(i))).isSent());
        }
        await("the first records written", () -> sink.stats().writtenRecords() == 10, () -> sink.stats().toString());
        Path moved = dir.resolveSibling(dir.getFileName() + "-moved");
        Files.move(dir, moved);
        Files.writeString(dir, "not a directory");
        clock.set(Instant.parse("2026-11-25T17:59:10Z"));
        long sent = 10;
        for (int i = 10; i < 10_000; i++) {
            if (!ch.sender().blockingSend(AppendRequest.of(TestRecords.record(i))).isSent()) {
                break;
            }
            sent++;
        }
        WriterReport report;
        try {
            ch.sender().close();
            report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } finally {
            Files.delete(dir);
            Files.move(moved, dir);
        }
        assertNotNull(report.error(), report.toString());
        assertInstanceOf(JournalWriteException.class, report.error());
        assertEquals(JournalState.FAILED, sink.journalState());
        assertEquals(10, report.writtenRecords());
        assertEquals(sent, report.writtenRecords() + report.failedRecords(), "every record sent is written or counted");
        assertEquals(0, sink.stats().pauses(), "an I/O error is not mistaken for lack of space");
    }

    private static JournalState awaitState(FileSink sink, JournalState want) throws InterruptedException {
        await("state " + want, () -> sink.journalState() == want, () -> "state " + sink.journalState());
        return sink.journalState();
    }
}
