package dev.logpipe.runtime;

import dev.logpipe.testsupport.Conditions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.CountDownLatch;

import static dev.logpipe.testsupport.Conditions.await;
import static dev.logpipe.runtime.RuntimeSpawnTest.awaitUninterruptibly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class TimerTest {

    private TaskRuntime rt;

    @AfterEach
    void tearDown() {
        if (rt != null) {
            rt.shutdown(Duration.ofSeconds(10));
        }
    }

    @Test
    void spawnAfterRunsOnAWorkerNoSoonerThanTheDelay() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).threadNamePrefix("tm").build();
        long start = System.nanoTime();
        JoinHandle<String> h = rt.spawnAfter(Duration.ofMillis(50), () -> Thread.currentThread().getName());
        assertEquals("tm-worker-1", h.join());
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(50).toNanos(), "not before the delay");
    }

    @Test
    void spawnAfterAbortedBeforeItIsDueNeverRuns() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        AtomicBoolean ran = new AtomicBoolean();
        JoinHandle<Void> h = rt.spawnAfter(Duration.ofHours(1), () -> ran.set(true));
        assertTrue(h.abort());
        assertTrue(h.isCancelled());
        assertThrows(CancellationException.class, h::join);
        assertFalse(h.abort());
        assertFalse(ran.get());
        assertTrue(rt.shutdown(Duration.ofSeconds(10)).cancelled().isEmpty(), "nothing left in the timer");
    }

    @Test
    void fixedRateRunsRepeatedlyOnWorkersUntilAbortedFromInside() throws Exception {
        rt = TaskRuntime.builder().workerThreads(2).threadNamePrefix("fr").build();
        AtomicInteger runs = new AtomicInteger();
        AtomicBoolean offWorker = new AtomicBoolean();
        AtomicReference<JoinHandle<Void>> self = new AtomicReference<>();
        CountDownLatch handleSet = new CountDownLatch(1);
        JoinHandle<Void> h = rt.spawnAtFixedRate(Duration.ZERO, Duration.ofMillis(5), () -> {
            if (!TaskRuntime.onWorkerThread()) {
                offWorker.set(true);
            }
            if (runs.incrementAndGet() == 5) {
                awaitUninterruptibly(handleSet);
                self.get().abort(); // runs never overlap, so no other run is in progress now
            }
        });
        self.set(h);
        handleSet.countDown();
        assertThrows(CancellationException.class, h::join);
        // Several periods later (a timer task due after them): no run started after the abort.
        rt.spawnAfter(Duration.ofMillis(50), () -> { }).join();
        assertEquals(5, runs.get());
        assertFalse(offWorker.get(), "every run was on a worker");
    }

    @Test
    void abortBetweenRunsStopsAPeriodicTask() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        AtomicInteger runs = new AtomicInteger();
        JoinHandle<Void> h = rt.spawnAtFixedRate(Duration.ZERO, Duration.ofHours(1), runs::incrementAndGet);
        await("the first run", () -> runs.get() == 1);
        assertFalse(h.isDone(), "a periodic task's handle completes only when it stops");
        assertTrue(h.abort());
        assertTrue(h.isCancelled());
        assertFalse(h.abort());
        assertTrue(rt.shutdown(Duration.ofSeconds(10)).cancelled().isEmpty(), "the aborted task left the timer");
        assertEquals(1, runs.get());
    }

    @Test
    void fixedRateRunsNeverOverlap() throws Exception {
        rt = TaskRuntime.builder().workerThreads(2).blockedWorkerThreshold(Duration.ofSeconds(30)).build();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        AtomicInteger runs = new AtomicInteger();
        JoinHandle<Void> h = rt.spawnAtFixedRate(Duration.ZERO, Duration.ofMillis(2), () -> {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            long until = System.nanoTime() + Duration.ofMillis(6).toNanos(); // overrun three periods
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
            inFlight.decrementAndGet();
            runs.incrementAndGet();
        });
        await("five overrunning runs", () -> runs.get() >= 5);
        h.abort();
        assertEquals(1, maxInFlight.get());
    }

    @Test
    void aPeriodicTaskThatThrowsStopsAndFailsItsHandle() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        AtomicInteger runs = new AtomicInteger();
        JoinHandle<Void> h = rt.spawnAtFixedRate(Duration.ZERO, Duration.ofMillis(5), () -> {
            if (runs.incrementAndGet() == 3) {
                throw new IllegalStateException("third run fails");
            }
        });
        CompletionException e = assertThrows(CompletionException.class, h::join);
        assertEquals("third run fails", e.getCause().getMessage());
        rt.spawnAfter(Duration.ofMillis(50), () -> { }).join();
        assertEquals(3, runs.get(), "no run after the failure");
        assertFalse(h.abort());
        // The runtime goes on.
        assertEquals(42, rt.spawn(() -> 42).join());
    }

    @Test
    void periodRefusesZero() {
        rt = TaskRuntime.builder().workerThreads(1).build();
        assertThrows(IllegalArgumentException.class, () -> rt.spawnAtFixedRate(Duration.ZERO, Duration.ZERO, () -> { }));
    }

    @Test
    void timerTasksRunOnWorkersNotOnTheTimerThread() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).threadNamePrefix("tt").build();
        String name = rt.spawnAfter(Duration.ZERO, () -> Thread.currentThread().getName()).join();
        assertEquals("tt-worker-1", name);
        assertInstanceOf(String.class, name);
    }
}
