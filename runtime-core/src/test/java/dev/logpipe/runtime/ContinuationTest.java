package dev.logpipe.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.logpipe.runtime.RuntimeSpawnTest.awaitUninterruptibly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which thread runs callbacks, and the cooperative budget: chains of already-completed stages
 * neither overflow the stack nor hog a worker.
 */
@Timeout(60)
class ContinuationTest {

    private static final int CHAIN = 100_000;

    private TaskRuntime rt;

    @AfterEach
    void tearDown() {
        if (rt != null) {
            rt.shutdown(Duration.ofSeconds(10));
        }
    }

    /** Recursion through thenCompose on an already-completed stage: the classic stack-overflow shape. */
    private static CompletionStage<Integer> countDown(CompletionStage<Integer> done, int remaining) {
        return done.thenCompose(v -> remaining == 0 ? done.thenApply(x -> CHAIN) : countDown(done, remaining - 1));
    }

    @Test
    void theControlPlainCompletableFutureRecursionOverflowsTheStack() throws Exception {
        // Proves the test below can fail: the same recursion on a plain CompletableFuture,
        // on a thread with a small stack, dies of StackOverflowError.
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                countDown(CompletableFuture.completedFuture(0), CHAIN).toCompletableFuture().join();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "small-stack", 256 * 1024);
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(30));
        Throwable f = failure.get();
        assertTrue(f instanceof StackOverflowError
                || (f != null && f.getCause() instanceof StackOverflowError), "expected a stack overflow, got " + f);
    }

    @Test
    void recursionOnCompletedHandlesDoesNotOverflowTheStackFromAWorker() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        JoinHandle<Integer> done = rt.spawn(() -> 0);
        done.join();
        CompletionStage<Integer> result = rt.spawn(() -> countDown(done, CHAIN)).thenCompose(s -> s);
        assertEquals(CHAIN, result.toCompletableFuture().get(30, TimeUnit.SECONDS));
    }

    @Test
    void recursionOnCompletedHandlesDoesNotOverflowTheStackFromAForeignThread() throws Exception {
        rt = TaskRuntime.builder().workerThreads(2).build();
        JoinHandle<Integer> done = rt.spawnBlocking(() -> 0);
        done.join();
        // Started on a small-stack thread: the first continuation hops to a worker, so this
        // thread's stack does not matter, and the workers' stacks stay bounded by the budget.
        AtomicReference<CompletionStage<Integer>> stage = new AtomicReference<>();
        Thread t = new Thread(null, () -> stage.set(countDown(done, CHAIN)), "small-stack", 256 * 1024);
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(30));
        assertEquals(CHAIN, stage.get().toCompletableFuture().get(30, TimeUnit.SECONDS));
    }

    @Test
    void aLongChainBuiltAheadCompletesWithoutOverflow() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<Integer> head = rt.spawnBlocking(() -> {
            awaitUninterruptibly(release);
            return 0;
        });
        CompletionStage<Integer> s = head;
        for (int i = 0; i < CHAIN; i++) {
            s = s.thenApply(v -> v + 1);
        }
        release.countDown();
        assertEquals(CHAIN, s.toCompletableFuture().get(30, TimeUnit.SECONDS));
    }

    @Test
    void aLongChainYieldsSoOtherQueuedTasksRunBeforeItEnds() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        JoinHandle<Integer> done = rt.spawn(() -> 0);
        done.join();
        AtomicInteger progress = new AtomicInteger();
        AtomicInteger progressSeenByProbe = new AtomicInteger(-1);
        CompletableFuture<Void> probeRan = new CompletableFuture<>();
        CompletionStage<Integer> chain = rt.spawn(() -> step(done, 0, progress, () -> rt.spawn(() -> {
            progressSeenByProbe.set(progress.get());
            probeRan.complete(null);
        }))).thenCompose(x -> x);
        assertEquals(CHAIN, chain.toCompletableFuture().get(30, TimeUnit.SECONDS));
        probeRan.get(30, TimeUnit.SECONDS);
        // The probe was spawned at step 1000 onto the single worker's queue. Without a budget the
        // chain would run to the end first; with it, the chain yields within 128 steps.
        int seen = progressSeenByProbe.get();
        assertTrue(seen >= 1000 && seen < 1000 + 2 * 128, "the probe ran at chain step " + seen);
    }

    private static CompletionStage<Integer> step(CompletionStage<Integer> done, int i, AtomicInteger progress,
                                                 Runnable atThousand) {
        return done.thenCompose(v -> {
            progress.set(i);
            if (i == 1000) {
                atThousand.run();
            }
            return i == CHAIN ? done.thenApply(x -> CHAIN) : step(done, i + 1, progress, atThousand);
        });
    }

    @Test
    void continuationsOfABlockingTaskRunOnAWorkerNotOnTheBlockingThread() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).threadNamePrefix("ct").build();
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<Integer> h = rt.spawnBlocking(() -> {
            awaitUninterruptibly(release);
            return 1;
        });
        CompletableFuture<String> applyThread = h.thenApply(v -> Thread.currentThread().getName())
                .toCompletableFuture();
        CompletableFuture<String> whenCompleteThread = new CompletableFuture<>();
        h.whenComplete((v, e) -> whenCompleteThread.complete(Thread.currentThread().getName()));
        CompletableFuture<String> asyncThread = h.thenApplyAsync(v -> Thread.currentThread().getName())
                .toCompletableFuture();
        release.countDown();
        assertEquals("ct-worker-1", applyThread.get(20, TimeUnit.SECONDS));
        assertEquals("ct-worker-1", whenCompleteThread.get(20, TimeUnit.SECONDS));
        assertEquals("ct-worker-1", asyncThread.get(20, TimeUnit.SECONDS), "async default is the worker pool");
    }

    @Test
    void aCallbackOnACompletedHandleFromAForeignThreadRunsOnAWorker() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).threadNamePrefix("cf").build();
        JoinHandle<Integer> h = rt.spawn(() -> 5);
        h.join();
        String name = h.thenApply(v -> Thread.currentThread().getName()).toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals("cf-worker-1", name);
        String derived = h.thenApply(v -> v).thenApply(v -> v).thenApply(v -> Thread.currentThread().getName())
                .toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals("cf-worker-1", derived, "stages derived from a handle keep the rule");
    }

    @Test
    void failuresFlowThroughContinuations() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        JoinHandle<Integer> bad = rt.spawn(() -> {
            throw new IllegalArgumentException("nope");
        });
        // A direct dependent sees the task's own exception, as with CompletableFuture.
        String recovered = bad.handle((v, e) -> e.getClass().getSimpleName() + ":" + e.getMessage())
                .toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals("IllegalArgumentException:nope", recovered);
        Integer fallback = bad.exceptionally(e -> -1).toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals(-1, fallback);
        assertInstanceOf(IllegalArgumentException.class,
                bad.toCompletableFuture().handle((v, e) -> e.getCause()).get(20, TimeUnit.SECONDS));
    }
}
