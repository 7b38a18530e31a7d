package dev.logpipe.runtime;

import dev.logpipe.testsupport.Conditions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.logpipe.testsupport.Conditions.await;
import static dev.logpipe.runtime.RuntimeSpawnTest.awaitUninterruptibly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The blocking pool behaves like Tokio's, not like ThreadPoolExecutor. */
@Timeout(60)
class BlockingPoolTest {

    private TaskRuntime rt;

    @AfterEach
    void tearDown() {
        if (rt != null) {
            rt.shutdown(Duration.ofSeconds(10));
        }
    }

    private TaskRuntime runtime(int maxBlocking, Duration keepAlive) {
        rt = TaskRuntime.builder().workerThreads(1).maxBlockingThreads(maxBlocking).blockingKeepAlive(keepAlive)
                .threadNamePrefix("bp").build();
        return rt;
    }

    @Test
    void noThreadBeforeTheFirstBlockingTask() {
        TaskRuntime r = runtime(4, Duration.ofSeconds(30));
        assertEquals(0, r.metrics().blockingThreads());
    }

    @Test
    void anIdleThreadTakesTheNextTaskBeforeAnyNewThreadIsMade() throws Exception {
        TaskRuntime r = runtime(8, Duration.ofSeconds(30));
        Thread first = r.spawnBlocking(Thread::currentThread).join();
        assertEquals("bp-blocking-1", first.getName());
        for (int i = 0; i < 5; i++) {
            await("the blocking thread is idle again", () -> r.metrics().idleBlockingThreads() == 1);
            Thread next = r.spawnBlocking(Thread::currentThread).join();
            assertSame(first, next, "task " + i + " reused the idle thread");
            assertEquals(1, r.metrics().blockingThreads());
        }
    }

    @Test
    void threadPoolExecutorDoesNotReuseAnIdleThreadTheWayWeDo() throws Exception {
        // The contrast the pool is built for: with core size 8, ThreadPoolExecutor starts a new core
        // thread for each of these sequential tasks although the previous thread is idle.
        ThreadPoolExecutor tpe = new ThreadPoolExecutor(8, 8, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        try {
            for (int i = 0; i < 3; i++) {
                tpe.submit(() -> { }).get(20, TimeUnit.SECONDS);
                await("tpe worker idle", () -> tpe.getActiveCount() == 0);
            }
            assertEquals(3, tpe.getPoolSize(), "ThreadPoolExecutor made a thread per task");
        } finally {
            tpe.shutdownNow();
        }
    }

    @Test
    void aBurstMakesThreadsOnlyForTasksThatFindNoIdleThread() throws Exception {
        TaskRuntime r = runtime(16, Duration.ofSeconds(30));
        // Two threads made by two concurrent tasks, then both idle.
        runConcurrently(r, 2);
        await("two idle threads", () -> r.metrics().idleBlockingThreads() == 2);
        assertEquals(2, r.metrics().blockingThreads());
        // A burst of 5 concurrent tasks: 2 reuse the idle threads, exactly 3 new ones are made.
        Set<String> names = runConcurrently(r, 5);
        assertEquals(5, names.size());
        assertEquals(5, r.metrics().blockingThreads());
        assertEquals(Set.of("bp-blocking-1", "bp-blocking-2", "bp-blocking-3", "bp-blocking-4", "bp-blocking-5"),
                names);
    }

    /** Runs n blocking tasks that are all running at once (each waits for all), returns their thread names. */
    private static Set<String> runConcurrently(TaskRuntime r, int n) throws Exception {
        CountDownLatch allIn = new CountDownLatch(n);
        CountDownLatch release = new CountDownLatch(1);
        Set<String> names = ConcurrentHashMap.newKeySet();
        List<JoinHandle<Void>> hs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            hs.add(r.spawnBlocking(() -> {
                names.add(Thread.currentThread().getName());
                allIn.countDown();
                awaitUninterruptibly(release);
            }));
        }
        assertTrue(allIn.await(20, TimeUnit.SECONDS), n + " tasks running at once");
        release.countDown();
        for (JoinHandle<Void> h : hs) {
            h.join();
        }
        return names;
    }

    @Test
    void atTheMaximumTasksQueueAndRunWhenAThreadFrees() throws Exception {
        TaskRuntime r = runtime(2, Duration.ofSeconds(30));
        CountDownLatch bothIn = new CountDownLatch(2);
        CountDownLatch releaseA = new CountDownLatch(1);
        CountDownLatch releaseB = new CountDownLatch(1);
        AtomicReference<String> aThread = new AtomicReference<>();
        JoinHandle<Void> a = r.spawnBlocking(() -> {
            aThread.set(Thread.currentThread().getName());
            bothIn.countDown();
            awaitUninterruptibly(releaseA);
        });
        JoinHandle<Void> b = r.spawnBlocking(() -> {
            bothIn.countDown();
            awaitUninterruptibly(releaseB);
        });
        assertTrue(bothIn.await(20, TimeUnit.SECONDS));
        AtomicInteger thirdRuns = new AtomicInteger();
        JoinHandle<String> third = r.spawnBlocking(() -> {
            thirdRuns.incrementAndGet();
            return Thread.currentThread().getName();
        });
        RuntimeMetrics m = r.metrics();
        assertEquals(2, m.blockingThreads(), "no third thread beyond the maximum");
        assertEquals(1, m.blockingQueueDepth(), "the third task waits in the queue");
        assertFalse(third.isDone());
        assertEquals(0, thirdRuns.get());

        releaseA.countDown();
        assertEquals(aThread.get(), third.join(), "the thread that freed up took the queued task");
        assertEquals(1, thirdRuns.get());
        assertFalse(b.isDone());
        assertEquals(2, r.metrics().blockingThreads());
        releaseB.countDown();
        a.join();
        b.join();
    }

    @Test
    void queuedTasksRunInArrivalOrder() throws Exception {
        TaskRuntime r = runtime(1, Duration.ofSeconds(30));
        CountDownLatch in = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        r.spawnBlocking(() -> {
            in.countDown();
            awaitUninterruptibly(release);
        });
        assertTrue(in.await(20, TimeUnit.SECONDS));
        List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
        List<JoinHandle<Void>> hs = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            int v = i;
            hs.add(r.spawnBlocking(() -> { order.add(v); }));
        }
        assertEquals(50, r.metrics().blockingQueueDepth());
        release.countDown();
        for (JoinHandle<Void> h : hs) {
            h.join();
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            expected.add(i);
        }
        assertEquals(expected, order);
    }

    @Test
    void anIdleThreadExitsAfterTheKeepAlive() throws Exception {
        TaskRuntime r = runtime(4, Duration.ofMillis(100));
        Thread t = r.spawnBlocking(Thread::currentThread).join();
        await("the idle thread exits after its keep-alive", () -> r.metrics().blockingThreads() == 0);
        t.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(t.isAlive(), "the thread itself has ended");
        assertEquals(0, r.metrics().idleBlockingThreads());
        // The pool makes a fresh thread on demand afterwards.
        Thread fresh = r.spawnBlocking(Thread::currentThread).join();
        assertNotEquals(t, fresh);
        assertEquals("bp-blocking-2", fresh.getName());
    }

    @Test
    void underChurnNoTaskIsLostAndTheMaximumHolds() throws Exception {
        // A 1 ms keep-alive makes threads time out and exit while spawns claim them: the races a
        // lost wake-up or a miscounted idle thread would lose a task in.
        int max = 3;
        TaskRuntime r = runtime(max, Duration.ofMillis(1));
        int producers = 4;
        int perProducer = 3_000;
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        Set<String> threadNames = ConcurrentHashMap.newKeySet();
        List<JoinHandle<Void>> handles = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int base = p * perProducer;
            Thread t = new Thread(() -> {
                java.util.Random rnd = new java.util.Random(base);
                for (int i = 0; i < perProducer; i++) {
                    int v = base + i;
                    handles.add(r.spawnBlocking(() -> {
                        maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                        threadNames.add(Thread.currentThread().getName());
                        if (!seen.add(v)) {
                            duplicates.incrementAndGet();
                        }
                        running.decrementAndGet();
                    }));
                    if (rnd.nextInt(64) == 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(rnd.nextInt(2_000_000)); // let threads idle out
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        for (JoinHandle<Void> h : handles) {
            h.join(Duration.ofSeconds(30));
        }
        assertEquals(producers * perProducer, seen.size(), "every task ran");
        assertEquals(0, duplicates.get(), "no task ran twice");
        assertTrue(maxRunning.get() <= max, "at most " + max + " at once, saw " + maxRunning.get());
        assertTrue(r.metrics().blockingThreads() <= max);
        await("all threads idle out", () -> r.metrics().blockingThreads() == 0);
        System.out.println("churn: " + threadNames.size() + " blocking threads made over the run");
    }

    @Test
    void blockingPoolThreadsAreNotWorkers() throws Exception {
        TaskRuntime r = runtime(2, Duration.ofSeconds(30));
        boolean onWorker = r.spawnBlocking(() -> TaskRuntime.onWorkerThread()).join();
        assertFalse(onWorker);
    }
}
