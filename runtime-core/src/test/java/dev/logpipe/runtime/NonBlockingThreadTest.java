package dev.logpipe.runtime;

import dev.logpipe.channels.NonBlockingThread;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Workers carry the channels' NonBlockingThread marker, and blocking calls refuse to run on such threads. */
@Timeout(60)
class NonBlockingThreadTest {

    private TaskRuntime rt;

    @AfterEach
    void tearDown() {
        if (rt != null) {
            rt.shutdown(Duration.ofSeconds(10));
        }
    }

    @Test
    void workersAreNonBlockingThreadsAndBlockingPoolThreadsAreNot() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        assertTrue(rt.spawn(() -> Thread.currentThread() instanceof NonBlockingThread).join());
        assertFalse(rt.spawnBlocking(() -> Thread.currentThread() instanceof NonBlockingThread).join());
    }

    @Test
    void channelsBlockingCheckRefusesOnAWorker() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).threadNamePrefix("nb").build();
        String msg = rt.spawn(() -> {
            try {
                NonBlockingThread.check("blockingRecv");
                return "allowed";
            } catch (IllegalStateException e) {
                return e.getMessage();
            }
        }).join();
        assertTrue(msg.contains("blockingRecv") && msg.contains("nb-worker-1"), msg);
        // The blocking pool is where blocking calls go: allowed there.
        assertEquals("allowed", rt.spawnBlocking(() -> {
            NonBlockingThread.check("blockingRecv");
            return "allowed";
        }).join());
    }

    /** Stands in for a Netty event loop: another kind of non-blocking thread. */
    private static final class FakeEventLoop extends Thread implements NonBlockingThread {
        FakeEventLoop(Runnable r) {
            super(r, "fake-event-loop");
        }
    }

    @Test
    void joinAndShutdownAreRefusedOnAnyNonBlockingThread() throws Exception {
        rt = TaskRuntime.builder().workerThreads(1).build();
        JoinHandle<Integer> h = rt.spawn(() -> 1);
        CompletableFuture<String> joinOutcome = new CompletableFuture<>();
        CompletableFuture<String> shutdownOutcome = new CompletableFuture<>();
        Thread loop = new FakeEventLoop(() -> {
            try {
                h.join();
                joinOutcome.complete("joined");
            } catch (IllegalStateException e) {
                joinOutcome.complete(e.getMessage());
            } catch (Throwable e) {
                joinOutcome.completeExceptionally(e);
            }
            try {
                rt.shutdown(Duration.ofSeconds(1));
                shutdownOutcome.complete("shut down");
            } catch (IllegalStateException e) {
                shutdownOutcome.complete(e.getMessage());
            }
        });
        loop.start();
        String joinMsg = joinOutcome.get(20, TimeUnit.SECONDS);
        assertTrue(joinMsg.startsWith("join called on non-blocking thread fake-event-loop"), joinMsg);
        assertTrue(shutdownOutcome.get(20, TimeUnit.SECONDS).startsWith("shutdown called on non-blocking thread"));
        assertFalse(rt.isShutdown());
    }
}
