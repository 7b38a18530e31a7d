package dev.logpipe.filesink.internal.writer;

import dev.logpipe.runtime.TaskRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The completions the writer hands to a runtime worker (receipts, durable futures) run exactly once
 * even when the runtime shuts down before a worker took them: a shutdown cancels queued tasks.
 */
class RunOnWorkerTest {

    @Test
    @Timeout(30)
    void completionsQueuedWhenTheRuntimeShutsDownStillRunOnce() throws Exception {
        TaskRuntime runtime = TaskRuntime.builder().workerThreads(1).threadNamePrefix("run-on-worker").build();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        runtime.spawn(() -> {
            started.countDown();
            release.await(); // keeps the only worker busy, so the next task stays queued
            return null;
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        CompletableFuture<Long> receipt = new CompletableFuture<>();
        AtomicInteger runs = new AtomicInteger();
        SyncCoordinator.runOnWorker(runtime, List.of(() -> {
            runs.incrementAndGet();
            receipt.complete(42L);
        }));
        runtime.shutdown(Duration.ofMillis(200)); // cancels the queued completion task
        release.countDown();
        assertEquals(42L, receipt.get(10, TimeUnit.SECONDS), "completed although the runtime dropped the task");
        assertEquals(1, runs.get());
    }

    @Test
    @Timeout(30)
    void aRunningRuntimeRunsThemOnAWorkerOnce() throws Exception {
        TaskRuntime runtime = TaskRuntime.builder().workerThreads(1).threadNamePrefix("run-on-worker").build();
        try {
            CompletableFuture<String> thread = new CompletableFuture<>();
            AtomicInteger runs = new AtomicInteger();
            SyncCoordinator.runOnWorker(runtime, List.of(() -> {
                runs.incrementAndGet();
                thread.complete(Thread.currentThread().getName());
            }));
            assertTrue(thread.get(10, TimeUnit.SECONDS).startsWith("run-on-worker"));
            assertEquals(1, runs.get());
        } finally {
            runtime.shutdown(Duration.ofSeconds(5));
        }
    }
}
