package dev.logpipe.runtime.internal;

import dev.logpipe.channels.NonBlockingThread;

/**
 * A thread of a {@link WorkerPool}: it runs tasks that must never block. It implements the
 * channels' {@link NonBlockingThread} marker, so their {@code blockingX} methods, and
 * {@code JoinHandle.join}, refuse to run on it.
 *
 * <p>Threading: created and started by its pool. The run-tracking fields are written by this
 * thread and read by the watchdog; {@link #budget} is confined to this thread.
 */
public final class WorkerThread extends Thread implements NonBlockingThread {

    /** Value of {@link #runStartNanos} while the worker waits for work. */
    static final long IDLE = Long.MIN_VALUE;

    final WorkerPool pool;
    final int index;

    /**
     * Continuations this thread may still run inline before it must yield (Tokio's coop budget);
     * reset each time the thread takes a runnable from the queue. Confined to this thread.
     */
    int budget;

    /** When the current run started (System.nanoTime), or {@link #IDLE}. Written before {@link #current}. */
    volatile long runStartNanos = IDLE;
    /** What runs now (a {@link TaskCell} or a continuation), or null. */
    volatile Object current;

    WorkerThread(WorkerPool pool, int index, String name) {
        super(name);
        this.pool = pool;
        this.index = index;
        setDaemon(true);
    }

    @Override
    public void run() {
        pool.runWorker(this);
    }

    void beginRun(Runnable r) {
        budget = WorkerPool.BUDGET;
        runStartNanos = System.nanoTime();
        current = r;
    }

    void endRun() {
        current = null;
        runStartNanos = IDLE;
    }
}
