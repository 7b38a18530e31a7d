package dev.logpipe.channels;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Helpers for the channel tests: polling with a deadline instead of sleeping. */
final class TestSupport {
    static final Duration DEADLINE = Duration.ofSeconds(20);

    private TestSupport() {
    }

    /** Polls {@code cond} until true, failing after the deadline. */
    static void await(String what, BooleanSupplier cond) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting for: " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** Waits for a stage's value with the deadline. */
    static <T> T get(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("stage did not complete normally", e);
        }
    }

    /** Returns whether the thread is parked/waiting (it has started waiting). */
    static boolean isWaiting(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }

    /** A thread that implements {@link NonBlockingThread}, like a runtime worker. */
    static final class Worker extends Thread implements NonBlockingThread {
        Throwable failure;

        Worker(Runnable r) {
            super(r, "worker-3");
        }

        static Throwable runAndCapture(ThrowingRunnable r) throws InterruptedException {
            Throwable[] out = new Throwable[1];
            Worker w = new Worker(() -> {
                try {
                    r.run();
                } catch (Throwable t) {
                    out[0] = t;
                }
            });
            w.start();
            w.join(DEADLINE.toMillis());
            return out[0];
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
