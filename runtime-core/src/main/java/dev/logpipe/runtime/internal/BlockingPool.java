package dev.logpipe.runtime.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded blocking pool, built like Tokio's (tokio/src/runtime/blocking/pool.rs) and unlike
 * {@link java.util.concurrent.ThreadPoolExecutor}:
 * <ul>
 *   <li>an idle thread takes the next task before any new thread is made: a spawn that finds an
 *   idle thread <em>claims</em> it at once ({@code idle--}, {@code notified++}), so a burst of k
 *   tasks claims at most k idle threads and makes threads only for the rest;</li>
 *   <li>a new thread is made only when no thread is idle, up to {@code maxThreads};</li>
 *   <li>when all {@code maxThreads} are busy, tasks wait in a FIFO queue and each busy thread
 *   drains the queue before it goes idle;</li>
 *   <li>an idle thread that is not claimed within the keep-alive exits.</li>
 * </ul>
 * Threads are named {@code <prefix>-blocking-N}, N counting up from 1 over the pool's life.
 *
 * <p>Threading: thread-safe; all state is guarded by one lock, held only for bookkeeping, never
 * while a task runs. The {@code notified} count makes wake-ups exact: a signal is a claim that
 * only one waiting thread consumes, so a spurious wake-up or a timed-out wait cannot lose it.
 */
public final class BlockingPool {

    private static final System.Logger LOG = System.getLogger("dev.logpipe.runtime");

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workAvailable = lock.newCondition();
    private final ArrayDeque<TaskCell<?>> queue = new ArrayDeque<>();
    private final Set<BlockingThread> threads = new HashSet<>();
    private final int maxThreads;
    private final long keepAliveNanos;
    private final String prefix;
    private final Runnable afterEachRun;
    /** Threads waiting for work and not yet claimed by a spawn. */
    private int idle;
    /** Claims made by spawns that a waiting thread has not consumed yet. */
    private int notified;
    private int nextThreadNumber = 1;
    private boolean shutdown;

    /**
     * @param maxThreads     the most threads alive at once
     * @param keepAliveNanos how long an unclaimed idle thread waits before it exits
     * @param prefix         thread name prefix
     * @param afterEachRun   called on the pool thread after each task and when a thread exits
     */
    public BlockingPool(int maxThreads, long keepAliveNanos, String prefix, Runnable afterEachRun) {
        this.maxThreads = maxThreads;
        this.keepAliveNanos = keepAliveNanos;
        this.prefix = prefix;
        this.afterEachRun = afterEachRun;
    }

    /** Queues {@code task} and finds it a thread; false if the pool is shut down. */
    public boolean execute(TaskCell<?> task) {
        BlockingThread toStart = null;
        lock.lock();
        try {
            if (shutdown) {
                return false;
            }
            queue.addLast(task);
            if (idle > 0) {
                idle--;
                notified++;
                workAvailable.signal();
            } else if (threads.size() < maxThreads) {
                toStart = new BlockingThread(prefix + "-blocking-" + nextThreadNumber++);
                threads.add(toStart);
            }
            // else: every thread is busy and the pool is full; a busy thread takes it when done.
        } finally {
            lock.unlock();
        }
        if (toStart != null) {
            start(toStart);
        }
        return true;
    }

    private void start(BlockingThread t) {
        try {
            t.start();
        } catch (Throwable e) { // typically OutOfMemoryError: unable to create native thread
            LOG.log(System.Logger.Level.ERROR, "could not start a blocking-pool thread", e);
            List<TaskCell<?>> orphans = new ArrayList<>();
            lock.lock();
            try {
                threads.remove(t);
                if (threads.isEmpty()) { // nobody will ever take what is queued
                    orphans.addAll(queue);
                    queue.clear();
                }
            } finally {
                lock.unlock();
            }
            for (TaskCell<?> orphan : orphans) {
                orphan.fail(e);
            }
        }
    }

    private void runThread(BlockingThread self) {
        lock.lock();
        try {
            work:
            while (true) {
                TaskCell<?> task;
                while ((task = queue.pollFirst()) != null) {
                    self.current = task;
                    lock.unlock();
                    try {
                        task.run();
                    } finally {
                        self.current = null;
                        Thread.interrupted(); // an interrupt aimed at this task must not hit the next
                        afterEachRun.run();
                        lock.lock();
                    }
                }
                if (shutdown) {
                    break;
                }
                idle++;
                long deadline = System.nanoTime() + keepAliveNanos;
                while (true) {
                    // A claim first: the spawner already took us off the idle count.
                    if (notified > 0) {
                        notified--;
                        continue work;
                    }
                    if (shutdown) {
                        idle--;
                        break work;
                    }
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        idle--; // keep-alive expired unclaimed: exit
                        break work;
                    }
                    try {
                        workAvailable.awaitNanos(remaining);
                    } catch (InterruptedException e) {
                        // Stale interrupt; the deadline, not the interrupt, decides when we leave.
                    }
                }
            }
        } finally {
            threads.remove(self);
            lock.unlock();
            afterEachRun.run();
        }
    }

    /**
     * Stops taking tasks, wakes idle threads so they exit, and returns the queued tasks (the
     * caller cancels them). Busy threads exit when their task ends.
     */
    public List<TaskCell<?>> shutdown() {
        lock.lock();
        try {
            shutdown = true;
            List<TaskCell<?>> queued = new ArrayList<>(queue);
            queue.clear();
            workAvailable.signalAll();
            return queued;
        } finally {
            lock.unlock();
        }
    }

    /** What each busy thread runs now. */
    public List<WorkerPool.Running> running() {
        lock.lock();
        try {
            List<WorkerPool.Running> out = new ArrayList<>();
            for (BlockingThread t : threads) {
                TaskCell<?> cur = t.current;
                if (cur != null) {
                    out.add(new WorkerPool.Running(t, cur));
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    public int threadCount() {
        lock.lock();
        try {
            return threads.size();
        } finally {
            lock.unlock();
        }
    }

    public int idleCount() {
        lock.lock();
        try {
            return idle;
        } finally {
            lock.unlock();
        }
    }

    public int queueDepth() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    private final class BlockingThread extends Thread {
        volatile TaskCell<?> current;

        BlockingThread(String name) {
            super(name);
            setDaemon(true);
        }

        @Override
        public void run() {
            runThread(this);
        }
    }
}
