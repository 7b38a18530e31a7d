package dev.logpipe.filesink.internal.writer;

import dev.logpipe.runtime.TaskRuntime;
import org.junit.jupiter.api.AfterEach;
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
@Timeout(30)
class ReceiptTasksTest {

    /** One worker, so that a test can hold it and keep the tasks queued. */
    private final TaskRuntime runtime = TaskRuntime.builder().workerThreads(1).threadNamePrefix("receipt-tasks").build();
    private final ReceiptTasks tasks = new ReceiptTasks(runtime);
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        runtime.shutdown(Duration.ofSeconds(5)); // a second shutdown returns the first one's report
    }

    /** Keeps the only worker busy until {@link #release}, so the next tasks stay queued. */
    private void holdTheWorker() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        runtime.spawn(() -> {
            started.countDown();
            release.await();
            return null;
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
    }

    @Test
    void completionsQueuedWhenTheRuntimeShutsDownStillRunOnce() throws Exception {
        holdTheWorker();
        CompletableFuture<Long> receipt = new CompletableFuture<>();
        AtomicInteger runs = new AtomicInteger();
        tasks.run(() -> {
            runs.incrementAndGet();
            receipt.complete(42L);
        });
        runtime.shutdown(Duration.ofMillis(200)); // cancels the queued completion task
        release.countDown();
        assertEquals(42L, receipt.get(10, TimeUnit.SECONDS), "completed although the runtime dropped the task");
        assertEquals(1, runs.get());
        assertEquals(0, tasks.awaitIdle(Duration.ofSeconds(10)));
    }

    @Test
    void aRunningRuntimeRunsThemOnAWorkerOnce() throws Exception {
        CompletableFuture<String> thread = new CompletableFuture<>();
        AtomicInteger runs = new AtomicInteger();
        tasks.run(() -> {
            runs.incrementAndGet();
            thread.complete(Thread.currentThread().getName());
        });
        assertTrue(thread.get(10, TimeUnit.SECONDS).startsWith("receipt-tasks"));
        assertEquals(1, runs.get());
    }

    @Test
    void awaitIdleReturnsOnceEveryTaskHandedOverHasRun() throws Exception {
        holdTheWorker();
        AtomicInteger runs = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            tasks.run(runs::incrementAndGet);
        }
        assertEquals(3, tasks.awaitIdle(Duration.ofMillis(50)), "none can run while the worker is held");
        assertEquals(0, runs.get());
        release.countDown();
        assertEquals(0, tasks.awaitIdle(Duration.ofSeconds(10)));
        assertEquals(3, runs.get(), "all ran by the time awaitIdle said so");
    }

    @Test
    void aTaskThatThrowsStillCountsAsRun() throws Exception {
        tasks.run(() -> {
            throw new IllegalStateException("a callback's bug");
        });
        assertEquals(0, tasks.awaitIdle(Duration.ofSeconds(10)));
    }
}
