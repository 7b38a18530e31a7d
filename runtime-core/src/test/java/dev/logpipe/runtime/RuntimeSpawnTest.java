package dev.logpipe.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class RuntimeSpawnTest {

    private TaskRuntime rt;

    @AfterEach
    void tearDown() {
        if (rt != null) {
            rt.shutdown(Duration.ofSeconds(10));
        }
    }

    @Test
    void spawnRunsOnANamedWorkerThreadAndCompletesWithTheResult() throws Exception {
        rt = TaskRuntime.builder().workerThreads(2).threadNamePrefix("sp").build();
        JoinHandle<String> h = rt.spawn(() -> Thread.currentThread().getName() + "|" + TaskRuntime.onWorkerThread());
        String[] parts = h.join().split("\\|");
        assertTrue(parts[0].matches("sp-worker-[12]"), parts[0]);
        assertEquals("true", parts[1]);
        assertFalse(TaskRuntime.onWorkerThread(), "the test thread is not a worker");
    }

    @Test
    void workerPoolHasExactlyTheConfiguredThreads() throws Exception {
        rt = TaskRuntime.builder().workerThreads(3).threadNamePrefix("n3").build();
        CountDownLatch allIn = new CountDownLatch(3);
        CountDownLatch release = new CountDownLatch(1);
        Set<String> names = ConcurrentHashMap.newKeySet();
        List<JoinHandle<Void>> hs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            hs.add(rt.spawn(() -> {
                names.add(Thread.currentThread().getName());
                allIn.countDown();
                awaitUninterruptibly(release);
            }));
        }
        assertTrue(allIn.await(20, TimeUnit.SECONDS), "three tasks ran at once on three workers");
        release.countDown();
        for (JoinHandle<Void> h : hs) {
            h.join();
        }
        assertEquals(Set.of("n3-worker-1", "n3-worker-2", "n3-worker-3"), names);
        assertEquals(3, rt.metrics().workerThreads());
    }

    @Test
    void spawnRunnableCompletesWithNull() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        AtomicBoolean ran = new AtomicBoolean();
        JoinHandle<Void> h = rt.spawn(() -> ran.set(true));
        assertEquals(null, h.join());
        assertTrue(ran.get());
    }

    @Test
    void aTaskThatThrowsFailsItsHandleAndTheWorkerGoesOn() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).threadNamePrefix("thr").build();
        AtomicReference<Thread> failedOn = new AtomicReference<>();
        JoinHandle<Integer> bad = rt.spawn(() -> {
            failedOn.set(Thread.currentThread());
            throw new IllegalStateException("boom");
        });
        CompletionException e = assertThrows(CompletionException.class, bad::join);
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertEquals("boom", e.getCause().getMessage());
        // An Error too: the worker catches it and survives.
        JoinHandle<Integer> worse = rt.spawn(() -> {
            throw new AssertionError("worse");
        });
        assertInstanceOf(AssertionError.class, assertThrows(CompletionException.class, worse::join).getCause());
        // The single worker is still the same live thread and runs the next task.
        JoinHandle<Thread> next = rt.spawn(Thread::currentThread);
        assertSame(failedOn.get(), next.join());
        assertTrue(failedOn.get().isAlive());
    }

    @Test
    void aThrowingRunnableOnTheWorkerExecutorDoesNotKillTheWorker() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        CompletableFuture<Thread> first = new CompletableFuture<>();
        rt.workerExecutor().execute(() -> {
            first.complete(Thread.currentThread());
            throw new RuntimeException("thrown from a raw runnable (expected in this test)");
        });
        Thread worker = first.get(20, TimeUnit.SECONDS);
        CompletableFuture<Thread> second = new CompletableFuture<>();
        rt.workerExecutor().execute(() -> second.complete(Thread.currentThread()));
        assertSame(worker, second.get(20, TimeUnit.SECONDS));
    }

    @Test
    void abortPreventsATaskThatHasNotStarted() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<Void> blocker = rt.spawn(() -> {
            started.countDown();
            awaitUninterruptibly(release);
        });
        assertTrue(started.await(20, TimeUnit.SECONDS));
        AtomicBoolean ran = new AtomicBoolean();
        JoinHandle<Void> victim = rt.spawn(() -> ran.set(true));
        assertTrue(victim.abort(), "not started yet, so abort wins");
        assertTrue(victim.isDone());
        assertTrue(victim.isCancelled());
        assertThrows(CancellationException.class, victim::join);
        assertFalse(victim.abort(), "a second abort does nothing");
        release.countDown();
        blocker.join();
        // One worker, FIFO: had the victim been going to run, it would have run before this one.
        rt.spawn(() -> { }).join();
        assertFalse(ran.get(), "an aborted task never runs");
    }

    @Test
    void abortDoesNothingToARunningOrFinishedTask() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<String> running = rt.spawn(() -> {
            started.countDown();
            awaitUninterruptibly(release);
            return "finished";
        });
        assertTrue(started.await(20, TimeUnit.SECONDS));
        assertFalse(running.abort());
        release.countDown();
        assertEquals("finished", running.join());
        assertFalse(running.abort());
        assertFalse(running.isCancelled());
    }

    @Test
    void joinIsRefusedOnAWorkerThread() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).threadNamePrefix("jn").build();
        JoinHandle<Integer> other = rt.spawnBlocking(() -> 1);
        JoinHandle<String> h = rt.spawn(() -> {
            try {
                other.join();
                return "joined";
            } catch (IllegalStateException e) {
                return e.getMessage();
            }
        });
        String msg = h.join();
        assertTrue(msg.contains("join") && msg.contains("jn-worker-1"), msg);
    }

    @Test
    void joinWithTimeoutTimesOut() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<Void> h = rt.spawnBlocking(() -> awaitUninterruptibly(release));
        assertThrows(java.util.concurrent.TimeoutException.class, () -> h.join(Duration.ofMillis(20)));
        release.countDown();
        h.join(Duration.ofSeconds(20));
    }

    @Test
    void toCompletableFutureIsACopyThatCannotCompleteTheHandle() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<String> h = rt.spawnBlocking(() -> {
            awaitUninterruptibly(release);
            return "real";
        });
        CompletableFuture<String> copy = h.toCompletableFuture();
        copy.complete("fake");
        assertFalse(h.isDone());
        release.countDown();
        assertEquals("real", h.join());
    }

    @Test
    void manyTasksFromManyThreadsAllRunExactlyOnce() throws Exception {
        rt = TaskRuntime.builder().workerThreads(2).build();
        int producers = 4;
        int perProducer = 5_000;
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger duplicates = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        List<JoinHandle<Void>> handles = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int p = 0; p < producers; p++) {
            int base = p * perProducer;
            Thread t = new Thread(() -> {
                for (int i = 0; i < perProducer; i++) {
                    int v = base + i;
                    handles.add(rt.spawn(() -> {
                        if (!seen.add(v)) {
                            duplicates.incrementAndGet();
                        }
                    }));
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        for (JoinHandle<Void> h : handles) {
            h.join();
        }
        assertEquals(0, duplicates.get());
        Set<Integer> expected = new HashSet<>();
        for (int i = 0; i < producers * perProducer; i++) {
            expected.add(i);
        }
        assertEquals(expected, seen);
    }

    @Test
    void builderRefusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> TaskRuntime.builder().workerThreads(0));
        assertThrows(IllegalArgumentException.class, () -> TaskRuntime.builder().maxBlockingThreads(0));
        assertThrows(IllegalArgumentException.class, () -> TaskRuntime.builder().blockingKeepAlive(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> TaskRuntime.builder().blockedWorkerThreshold(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> TaskRuntime.builder().threadNamePrefix(" "));
    }

    static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
