package dev.logpipe.filesink.internal.writer;

import dev.logpipe.runtime.JoinHandle;
import dev.logpipe.runtime.TaskRuntime;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the completions of receipts (written, durable, failed) on a runtime worker, so that neither
 * the writer thread nor a sync ever runs an application's callbacks, and lets the sink wait until
 * every one handed over has run before it reports itself terminated: whoever waits on
 * {@code terminated()} then finds every receipt of what the writer took settled.
 *
 * <p>A task runs exactly once: on a worker; or, if the runtime refuses it or cancels it before it
 * started (a shutdown cancels queued tasks), on the thread that saw the refusal or the cancellation.
 *
 * <p>Threading: thread-safe.
 */
public final class ReceiptTasks {

    private final TaskRuntime runtime;
    private final AtomicLong pending = new AtomicLong();
    private final Object idle = new Object();

    public ReceiptTasks(TaskRuntime runtime) {
        this.runtime = runtime;
    }

    /** Runs {@code task} in a task of its own on a runtime worker (see the class comment). */
    public void run(Runnable task) {
        pending.incrementAndGet();
        Runnable once = () -> {
            try {
                task.run();
            } finally {
                if (pending.decrementAndGet() == 0) {
                    synchronized (idle) {
                        idle.notifyAll();
                    }
                }
            }
        };
        JoinHandle<Void> h = runtime.spawn(once);
        h.whenComplete((v, error) -> {
            if (h.isCancelled()) {
                once.run(); // cancelled means it never started: this is its one run
            }
        });
    }

    /**
     * Waits until every task handed to {@link #run} so far has run, for at most {@code timeout};
     * returns how many have not (0 when all ran). They run on a worker, so only an application's
     * callback holding a worker keeps them waiting.
     */
    public long awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            for (long left; pending.get() > 0 && (left = deadline - System.nanoTime()) > 0; ) {
                idle.wait(Math.max(1, left / 1_000_000));
            }
        }
        return pending.get();
    }
}
