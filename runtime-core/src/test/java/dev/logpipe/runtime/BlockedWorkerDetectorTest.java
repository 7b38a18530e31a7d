package dev.logpipe.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.logpipe.runtime.RuntimeSpawnTest.awaitUninterruptibly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class BlockedWorkerDetectorTest {

    private static final Duration THRESHOLD = Duration.ofMillis(100);

    private TaskRuntime rt;

    @AfterEach
    void tearDown() {
        if (rt != null) {
            rt.shutdown(Duration.ofSeconds(10));
        }
    }

    /** A distinctive frame for the stack trace to show. */
    static void holdTheWorkerHostage(CountDownLatch release) {
        awaitUninterruptibly(release);
    }

    @Test
    void aTaskHoldingAWorkerPastTheThresholdIsReportedWithItsStack() throws Exception {
        LinkedBlockingQueue<BlockedWorker> reports = new LinkedBlockingQueue<>();
        rt = TaskRuntime.builder().workerThreads(2).threadNamePrefix("bw").blockedWorkerThreshold(THRESHOLD)
                .blockedWorkerReporter(reports::add).build();
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<Void> hog = rt.spawn(() -> holdTheWorkerHostage(release));
        BlockedWorker first = reports.poll(20, TimeUnit.SECONDS);
        assertNotNull(first, "the watchdog reported the blocked worker");
        assertTrue(first.threadName().startsWith("bw-worker-"), first.threadName());
        assertTrue(first.blockedFor().compareTo(THRESHOLD) >= 0, "blocked for " + first.blockedFor());
        assertEquals(THRESHOLD, first.threshold());
        assertTrue(first.stackTrace().stream().anyMatch(f -> f.getMethodName().equals("holdTheWorkerHostage")),
                "the stack shows where it blocks: " + first.stackTrace());
        assertTrue(first.task().contains("worker task #"), first.task());
        assertTrue(first.message().contains("spawnBlocking"), "the message says what to do");
        // Still held: it is reported again, with a longer time, so a hang never goes quiet.
        BlockedWorker second = reports.poll(20, TimeUnit.SECONDS);
        assertNotNull(second);
        assertEquals(first.threadName(), second.threadName());
        assertTrue(second.blockedFor().compareTo(first.blockedFor()) > 0);
        assertTrue(rt.metrics().blockedWorkerReports() >= 2);
        release.countDown();
        hog.join();
    }

    @Test
    void quickTasksAreNotReported() throws Exception {
        List<BlockedWorker> reports = java.util.Collections.synchronizedList(new ArrayList<>());
        rt = TaskRuntime.builder().workerThreads(1).blockedWorkerThreshold(Duration.ofSeconds(30))
                .blockedWorkerReporter(reports::add).build();
        for (int i = 0; i < 1000; i++) {
            rt.spawn(() -> { }).join();
        }
        assertEquals(List.of(), reports);
        assertEquals(0, rt.metrics().blockedWorkerReports());
    }

    @Test
    void aHangingReporterCannotHideTheNextReportForever() throws Exception {
        // A reporter that throws is logged and the watchdog goes on.
        LinkedBlockingQueue<BlockedWorker> reports = new LinkedBlockingQueue<>();
        rt = TaskRuntime.builder().workerThreads(1).blockedWorkerThreshold(THRESHOLD).blockedWorkerReporter(b -> {
            reports.add(b);
            throw new IllegalStateException("reporter bug (expected in this test)");
        }).build();
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<Void> hog = rt.spawn(() -> holdTheWorkerHostage(release));
        assertNotNull(reports.poll(20, TimeUnit.SECONDS));
        assertNotNull(reports.poll(20, TimeUnit.SECONDS), "reported again after the reporter threw");
        release.countDown();
        hog.join();
    }

    @Test
    void theDefaultReporterLogsAWarningWithTheStack() throws Exception {
        Logger logger = Logger.getLogger("dev.logpipe.runtime");
        LinkedBlockingQueue<LogRecord> logged = new LinkedBlockingQueue<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            rt = TaskRuntime.builder().workerThreads(1).threadNamePrefix("dl").blockedWorkerThreshold(THRESHOLD).build();
            CountDownLatch release = new CountDownLatch(1);
            JoinHandle<Void> hog = rt.spawn(() -> holdTheWorkerHostage(release));
            LogRecord record;
            do { // skip records of anything else that logs to this logger meanwhile
                record = logged.poll(20, TimeUnit.SECONDS);
            } while (record != null && !String.valueOf(record.getMessage()).contains("dl-worker-1"));
            release.countDown();
            hog.join();
            assertNotNull(record);
            assertEquals(Level.WARNING, record.getLevel());
            assertTrue(record.getMessage().contains("dl-worker-1"), record.getMessage());
            assertNotNull(record.getThrown());
            boolean hasFrame = false;
            for (StackTraceElement f : record.getThrown().getStackTrace()) {
                hasFrame |= f.getMethodName().equals("holdTheWorkerHostage");
            }
            assertTrue(hasFrame, "the logged throwable carries the worker's stack");
        } finally {
            logger.removeHandler(handler);
        }
    }
}
