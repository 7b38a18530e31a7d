package dev.logpipe.runtime;

import dev.logpipe.testsupport.Conditions;
import dev.logpipe.runtime.ShutdownReport.TaskInfo;
import dev.logpipe.runtime.ShutdownReport.TaskKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static dev.logpipe.testsupport.Conditions.await;
import static dev.logpipe.runtime.RuntimeSpawnTest.awaitUninterruptibly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class ShutdownTest {

    @Test
    void spawnsAfterShutdownCompleteCancelledAtOnce() {
        TaskRuntime rt = TaskRuntime.builder().workerThreads(1).build();
        ShutdownReport report = rt.shutdown(Duration.ofSeconds(10));
        assertTrue(report.finishedInTime());
        assertTrue(rt.isShutdown());
        AtomicBoolean ran = new AtomicBoolean();
        List<JoinHandle<?>> late = List.of(
                rt.spawn(() -> ran.set(true)),
                rt.spawn(() -> 1),
                rt.spawnBlocking(() -> ran.set(true)),
                rt.spawnBlocking(() -> 2),
                rt.spawnAfter(Duration.ZERO, () -> ran.set(true)),
                rt.spawnAtFixedRate(Duration.ZERO, Duration.ofMillis(1), () -> ran.set(true)));
        for (JoinHandle<?> h : late) {
            assertTrue(h.isDone(), "completed at once");
            assertTrue(h.isCancelled());
            assertThrows(CancellationException.class, h::join);
        }
        assertFalse(ran.get());
        assertThrows(RejectedExecutionException.class, () -> rt.workerExecutor().execute(() -> { }));
    }

    @Test
    void queuedTasksAreCancelledAndRunningOnesFinishWithinTheTimeout() throws Exception {
        TaskRuntime rt = TaskRuntime.builder().workerThreads(1).maxBlockingThreads(1).threadNamePrefix("sd").build();
        CountDownLatch inBlocking = new CountDownLatch(1);
        CountDownLatch inWorker = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<String> runningBlocking = rt.spawnBlocking(() -> {
            inBlocking.countDown();
            awaitUninterruptibly(release);
            return "blocking done";
        });
        JoinHandle<String> runningWorker = rt.spawn(() -> {
            inWorker.countDown();
            awaitUninterruptibly(release);
            return "worker done";
        });
        assertTrue(inBlocking.await(20, TimeUnit.SECONDS));
        assertTrue(inWorker.await(20, TimeUnit.SECONDS));
        AtomicBoolean queuedRan = new AtomicBoolean();
        JoinHandle<Void> queuedBlocking = rt.spawnBlocking(() -> queuedRan.set(true));
        JoinHandle<Void> queuedWorker = rt.spawn(() -> queuedRan.set(true));
        JoinHandle<Void> delayed = rt.spawnAfter(Duration.ofHours(1), () -> queuedRan.set(true));
        JoinHandle<Void> periodic = rt.spawnAtFixedRate(Duration.ofHours(1), Duration.ofHours(1),
                () -> queuedRan.set(true));
        assertEquals(1, rt.metrics().blockingQueueDepth());

        CompletableFuture<ShutdownReport> shutdown = CompletableFuture.supplyAsync(
                () -> rt.shutdown(Duration.ofSeconds(20)), r -> new Thread(r, "shutdown-caller").start());
        // Shutdown cancels what has not started at once, before it waits.
        await("queued tasks cancelled", () -> queuedBlocking.isCancelled() && queuedWorker.isCancelled()
                && delayed.isCancelled() && periodic.isCancelled());
        assertTrue(rt.spawn(() -> { }).isCancelled(), "no new tasks while shutting down");
        assertFalse(shutdown.isDone(), "shutdown waits for the running tasks");
        release.countDown();
        ShutdownReport report = shutdown.get(30, TimeUnit.SECONDS);

        assertTrue(report.finishedInTime(), report.toString());
        assertEquals("blocking done", runningBlocking.join());
        assertEquals("worker done", runningWorker.join());
        assertFalse(queuedRan.get());
        assertEquals(4, report.cancelled().size(), report.toString());
        assertEquals(List.of(TaskKind.WORKER, TaskKind.BLOCKING, TaskKind.DELAYED, TaskKind.PERIODIC),
                report.cancelled().stream().map(TaskInfo::kind).sorted().toList());
        assertTrue(report.cancelled().stream().allMatch(t -> t.threadName().isEmpty()));
        assertSame(report, rt.shutdown(Duration.ZERO), "idempotent: the first report");
    }

    @Test
    void tasksStillRunningAtTheTimeoutAreReportedWithTheirThreads() throws Exception {
        TaskRuntime rt = TaskRuntime.builder().workerThreads(1).threadNamePrefix("late").build();
        CountDownLatch inBlocking = new CountDownLatch(1);
        CountDownLatch inWorker = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<String> stuckBlocking = rt.spawnBlocking(new NamedCallable("stuck-blocking", () -> {
            inBlocking.countDown();
            awaitUninterruptibly(release);
        }));
        JoinHandle<String> stuckWorker = rt.spawn(new NamedCallable("stuck-worker", () -> {
            inWorker.countDown();
            awaitUninterruptibly(release);
        }));
        assertTrue(inBlocking.await(20, TimeUnit.SECONDS));
        assertTrue(inWorker.await(20, TimeUnit.SECONDS));
        AtomicReference<Thread> continuationThread = new AtomicReference<>();
        CompletableFuture<Void> continuation = stuckBlocking
                .thenAccept(v -> continuationThread.set(Thread.currentThread())).toCompletableFuture();

        ShutdownReport report = rt.shutdown(Duration.ofMillis(100));

        assertFalse(report.finishedInTime());
        assertTrue(report.elapsed().compareTo(Duration.ofMillis(100)) >= 0, "gave the tasks the timeout");
        assertEquals(List.of(
                        new TaskInfo(report.stillRunning().get(0).id(), TaskKind.WORKER, "stuck-worker",
                                Optional.of("late-worker-1")),
                        new TaskInfo(report.stillRunning().get(1).id(), TaskKind.BLOCKING, "stuck-blocking",
                                Optional.of("late-blocking-1"))),
                report.stillRunning());
        assertFalse(stuckBlocking.isDone());
        // They were not interrupted; when they end, their handles and continuations still complete.
        release.countDown();
        assertEquals("stuck-blocking", stuckBlocking.join());
        assertEquals("stuck-worker", stuckWorker.join());
        continuation.get(20, TimeUnit.SECONDS);
        assertTrue(continuationThread.get() != null);
    }

    @Test
    void continuationsOfTasksFinishingDuringTheGracePeriodStillRunOnWorkers() throws Exception {
        TaskRuntime rt = TaskRuntime.builder().workerThreads(1).threadNamePrefix("grace").build();
        CountDownLatch in = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<Integer> h = rt.spawnBlocking(() -> {
            in.countDown();
            awaitUninterruptibly(release);
            return 7;
        });
        AtomicReference<String> ranOn = new AtomicReference<>();
        CompletableFuture<Integer> doubled = h.thenApply(v -> {
            ranOn.set(Thread.currentThread().getName());
            return v * 2;
        }).toCompletableFuture();
        assertTrue(in.await(20, TimeUnit.SECONDS));
        CompletableFuture<ShutdownReport> shutdown = CompletableFuture.supplyAsync(
                () -> rt.shutdown(Duration.ofSeconds(20)), r -> new Thread(r, "shutdown-caller").start());
        await("shutdown has begun", rt::isShutdown);
        release.countDown();
        assertTrue(shutdown.get(30, TimeUnit.SECONDS).finishedInTime());
        assertEquals(14, doubled.get(20, TimeUnit.SECONDS));
        assertEquals("grace-worker-1", ranOn.get());
    }

    @Test
    void shutdownIsRefusedOnAWorkerOfTheRuntime() throws Exception {
        TaskRuntime rt = TaskRuntime.builder().workerThreads(1).build();
        try {
            JoinHandle<String> h = rt.spawn(() -> {
                try {
                    rt.shutdown(Duration.ofSeconds(1));
                    return "shut down";
                } catch (IllegalStateException e) {
                    return e.getMessage();
                }
            });
            assertTrue(h.join().contains("shut down from outside the runtime"));
            assertFalse(rt.isShutdown());
        } finally {
            rt.close();
        }
    }

    @Test
    void workerAndTimerThreadsEndAfterShutdown() throws Exception {
        TaskRuntime rt = TaskRuntime.builder().workerThreads(2).threadNamePrefix("end").build();
        rt.spawnAfter(Duration.ZERO, () -> 1).join();
        rt.spawnBlocking(() -> 1).join();
        rt.close();
        await("no end-* thread left", () -> {
            List<Thread> left = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("end-") && t.isAlive()).toList();
            for (Thread t : left) {
                System.err.println("still alive: " + t + " " + java.util.Arrays.toString(t.getStackTrace()));
            }
            return left.isEmpty();
        });
    }

    @Test
    void spawnsRacingWithShutdownAllCompleteOneWayOrTheOther() throws Exception {
        for (int round = 0; round < 5; round++) {
            TaskRuntime rt = TaskRuntime.builder().workerThreads(2).maxBlockingThreads(4).build();
            java.util.Queue<JoinHandle<?>> handles = new java.util.concurrent.ConcurrentLinkedQueue<>();
            java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
            CountDownLatch spawnersStarted = new CountDownLatch(4);
            List<Thread> spawners = new java.util.ArrayList<>();
            for (int s = 0; s < 4; s++) {
                int kind = s;
                Thread t = new Thread(() -> {
                    spawnersStarted.countDown();
                    for (int i = 0; i < 2_000; i++) {
                        handles.add(switch (kind) {
                            case 0 -> rt.spawn(ran::incrementAndGet);
                            case 1 -> rt.spawnBlocking(ran::incrementAndGet);
                            case 2 -> rt.spawnAfter(Duration.ZERO, ran::incrementAndGet);
                            default -> rt.spawnAtFixedRate(Duration.ofMillis(1), Duration.ofMillis(1),
                                    ran::incrementAndGet);
                        });
                    }
                }, "spawner-" + s);
                spawners.add(t);
                t.start();
            }
            assertTrue(spawnersStarted.await(20, TimeUnit.SECONDS));
            ShutdownReport report = rt.shutdown(Duration.ofSeconds(20));
            for (Thread t : spawners) {
                t.join(TimeUnit.SECONDS.toMillis(20));
            }
            assertTrue(report.finishedInTime(), report.toString());
            // Every handle completes: with a value, or cancelled; none is left hanging.
            for (JoinHandle<?> h : handles) {
                await("handle completes", h::isDone);
            }
            long periodicLeft = handles.stream().filter(h -> !h.isDone()).count();
            assertEquals(0, periodicLeft);
        }
    }

    /** A callable with a readable toString, as a report shows it. */
    private record NamedCallable(String name, Runnable body) implements java.util.concurrent.Callable<String> {
        @Override
        public String call() {
            body.run();
            return name;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
