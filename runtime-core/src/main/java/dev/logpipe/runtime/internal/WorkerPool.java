package dev.logpipe.runtime.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The fixed pool of worker threads: one shared FIFO queue, {@code n} threads named
 * {@code <prefix>-worker-N} (N from 1).
 *
 * <p>Threading: thread-safe. Three ways in:
 * <ul>
 *   <li>{@link #execute(Runnable)}: enqueue; refused once the pool has terminated.</li>
 *   <li>{@link #continuations()}: the executor for stage continuations. On a worker of this
 *   pool with budget left it runs the continuation inline (no queue hop); otherwise it enqueues,
 *   so a continuation never runs on a blocking or foreign thread while the pool lives. Each
 *   runnable taken from the queue grants {@link #BUDGET} inline runs; when they are spent the
 *   next continuation goes to the back of the queue. That bounds the stack depth of chains of
 *   already-completed stages and lets other queued tasks run in between (Tokio's cooperative
 *   budget). After termination it runs continuations on the calling thread, so no completion is
 *   ever lost.</li>
 *   <li>{@link #asyncExecutor()}: like continuations but never inline (for {@code xxxAsync}).</li>
 * </ul>
 */
public final class WorkerPool {

    /** Inline continuations a worker may run per dequeued runnable (Tokio uses 128 too). */
    public static final int BUDGET = 128;

    private static final System.Logger LOG = System.getLogger("dev.logpipe.runtime");
    private static final Runnable STOP = () -> { };

    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final WorkerThread[] workers;
    private final Runnable afterEachRun;
    private final Executor continuations = this::executeContinuation;
    private final Executor async = this::enqueueOrRunInline;
    private volatile boolean terminated;

    /**
     * @param threads      number of workers
     * @param prefix       thread name prefix
     * @param afterEachRun called on the worker after each runnable (the runtime's quiescence signal)
     */
    public WorkerPool(int threads, String prefix, Runnable afterEachRun) {
        this.afterEachRun = afterEachRun;
        this.workers = new WorkerThread[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new WorkerThread(this, i, prefix + "-worker-" + (i + 1));
        }
    }

    public void start() {
        for (WorkerThread w : workers) {
            w.start();
        }
    }

    /** Enqueues {@code r}; throws RejectedExecutionException once the pool has terminated. */
    public void execute(Runnable r) {
        if (terminated) {
            throw new RejectedExecutionException("the runtime's worker pool has terminated");
        }
        queue.offer(r);
        // Termination may have raced with the offer, after the last worker drained the queue;
        // whoever removes r (us or a worker) owns it, so it runs or is refused exactly once.
        if (terminated && queue.remove(r)) {
            throw new RejectedExecutionException("the runtime's worker pool has terminated");
        }
    }

    /** The continuation executor (inline within budget on this pool's workers, else queued). */
    public Executor continuations() {
        return continuations;
    }

    /** Always queued while the pool lives; inline on the caller after termination. */
    public Executor asyncExecutor() {
        return async;
    }

    private void executeContinuation(Runnable r) {
        if (Thread.currentThread() instanceof WorkerThread w && w.pool == this && w.budget > 0) {
            w.budget--;
            r.run();
            return;
        }
        enqueueOrRunInline(r);
    }

    private void enqueueOrRunInline(Runnable r) {
        if (!terminated) {
            queue.offer(r);
            // See execute(): if we win the removal after termination, nobody else will run it.
            if (!terminated || !queue.remove(r)) {
                return;
            }
        }
        r.run();
    }

    /** Whether the calling thread is a worker of this pool. */
    public boolean isWorker(Thread t) {
        return t instanceof WorkerThread w && w.pool == this;
    }

    void runWorker(WorkerThread self) {
        while (true) {
            Runnable r;
            try {
                r = queue.take();
            } catch (InterruptedException e) {
                // A stale interrupt aimed at an earlier task; the worker itself is not asked to stop.
                continue;
            }
            if (r == STOP) {
                // Everything queued before termination has run. Pass the pill on to the next worker.
                queue.offer(STOP);
                return;
            }
            self.beginRun(r);
            try {
                r.run();
            } catch (Throwable t) {
                // Task cells never throw; a raw runnable from workerExecutor() may. The worker goes on.
                LOG.log(System.Logger.Level.WARNING, "a runnable threw on " + self.getName()
                        + "; the worker goes on", t);
            } finally {
                self.endRun();
                Thread.interrupted(); // an interrupt aimed at this task must not hit the next one
            }
            afterEachRun.run();
        }
    }

    /** Cancels every queued task cell (not continuations, which still run), handing each to {@code onCancelled}. */
    public void cancelQueuedTasks(String reason, Consumer<TaskCell<?>> onCancelled) {
        for (Runnable r : queue) {
            if (r instanceof TaskCell<?> cell && cell.cancel(reason)) {
                onCancelled.accept(cell);
            }
        }
    }

    /** Nothing queued and no worker running anything. */
    public boolean isQuiescent() {
        if (!queue.isEmpty()) {
            return false;
        }
        for (WorkerThread w : workers) {
            if (w.current != null) {
                return false;
            }
        }
        return queue.isEmpty();
    }

    /** What each busy worker runs now: (thread, task-or-continuation). */
    public List<Running> running() {
        List<Running> out = new ArrayList<>();
        for (WorkerThread w : workers) {
            Object cur = w.current;
            if (cur != null) {
                out.add(new Running(w, cur));
            }
        }
        return out;
    }

    /** A thread and what it was running when asked. */
    public record Running(Thread thread, Object task) { }

    /**
     * Lets workers exit once what is queued has run; from now on continuations run on the
     * caller. A worker still running a task exits after it.
     */
    public void terminate() {
        terminated = true;
        // One pill, behind everything queued so far; each worker that takes it offers it again.
        // Runnables offered after this point find terminated set and take themselves back.
        queue.offer(STOP);
    }

    public int size() {
        return workers.length;
    }

    public int queueDepth() {
        return queue.size();
    }

    WorkerThread[] workers() {
        return workers;
    }

    /** The workers, for the watchdog. */
    public List<Thread> threads() {
        return List.of(workers);
    }
}
