package dev.logpipe.filesink.internal.writer;

import dev.logpipe.runtime.TaskRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The completions the writer hands to a runtime worker (receipts, durable futures) run exactly once
 * even when the runtime shuts down before a worker took them (a shutdown cancels queued tasks), and
 * the sink can wait until all it handed over have run.
 */
class ReceiptTasksTest {

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
        ReceiptTasks tasks = new ReceiptTasks(runtime);
        tasks.run(() -> {
            runs.incrementAndGet();
            receipt.complete(42L);
        });
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
            new ReceiptTasks(runtime).run(() -> {
                runs.incrementAndGet();
                thread.complete(Thread.currentThread().getName());
            });
            assertTrue(thread.get(10, TimeUnit.SECONDS).startsWith("run-on-worker"));
            assertEquals(1, runs.get());
        } finally {
            runtime.shutdown(Duration.ofSeconds(5));
        }
    }

    @Test
    @Timeout(30)
    void awaitIdleReturnsOnceEveryTaskHandedOverHasRun() throws Exception {
        TaskRuntime runtime = TaskRuntime.builder().workerThreads(1).threadNamePrefix("run-on-worker").build();
        try {
            CountDownLatch release = new CountDownLatch(1);
            runtime.spawn(() -> {
                release.await(); // the only worker is busy: the tasks below stay queued
                return null;
            });
            ReceiptTasks tasks = new ReceiptTasks(runtime);
            AtomicInteger runs = new AtomicInteger();
            for (int i = 0; i < 3; i++) {
                tasks.run(runs::incrementAndGet);
            }
            assertEquals(3, tasks.awaitIdle(Duration.ofMillis(50)), "none can run while the worker is held");
            assertEquals(0, runs.get());
            release.countDown();
            assertEquals(0, tasks.awaitIdle(Duration.ofSeconds(10)));
            assertEquals(3, runs.get(), "all ran by the time awaitIdle said so");
        } finally {
            runtime.shutdown(Duration.ofSeconds(5));
        }
    }

    @Test
    @Timeout(30)
    void aTaskThatThrowsStillCountsAsRun() throws Exception {
        TaskRuntime runtime = TaskRuntime.builder().workerThreads(1).threadNamePrefix("run-on-worker").build();
        try {
            ReceiptTasks tasks = new ReceiptTasks(runtime);
            tasks.run(() -> {
                throw new IllegalStateException("a callback's bug");
            });
            assertEquals(0, tasks.awaitIdle(Duration.ofSeconds(10)));
        } finally {
            runtime.shutdown(Duration.ofSeconds(5));
        }
    }
}
