package dev.logpipe.filesink.internal.writer;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;

/**
 * Futures waiting for an index to become durable, ordered by index so that a new watermark
 * completes exactly the waiters at or below it without scanning the rest.
 *
 * <p>Threading: thread-safe (a small lock around the heap; completion runs outside it).
 */
public final class DurabilityWaiters {

    private record Waiter(long index, CompletableFuture<Long> future) {
    }

    private final PriorityQueue<Waiter> heap = new PriorityQueue<>((a, b) -> Long.compare(a.index, b.index));
    private volatile long durable = -1;
    private Throwable failure;

    /**
     * A stage that completes with {@code index} once the watermark reaches it (at once if it has).
     */
    public CompletableFuture<Long> await(long index) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        if (index <= durable) {
            f.complete(index);
            return f;
        }
        synchronized (this) {
            if (failure != null) {
                f.completeExceptionally(failure);
                return f;
            }
            if (index > durable) {
                heap.add(new Waiter(index, f));
                return f;
            }
        }
        f.complete(index);
        return f;
    }

    /** Raises the watermark and returns the waiters it releases, for the caller to complete. */
    public List<Runnable> advance(long watermark) {
        List<Runnable> done = new ArrayList<>();
        synchronized (this) {
            if (watermark > durable) {
                durable = watermark;
            }
            while (!heap.isEmpty() && heap.peek().index <= durable) {
                Waiter w = heap.poll();
                done.add(() -> w.future.complete(w.index));
            }
        }
        return done;
    }

    /** Fails every waiter above the watermark, now and later (the writer stopped). */
    public List<Runnable> failRemaining(Throwable t) {
        List<Runnable> done = new ArrayList<>();
        synchronized (this) {
            failure = t;
            while (!heap.isEmpty()) {
                Waiter w = heap.poll();
                done.add(() -> w.future.completeExceptionally(t));
            }
        }
        return done;
    }

    /** The watermark. */
    public long durable() {
        return durable;
    }

    /** How many futures wait. */
    public synchronized int size() {
        return heap.size();
    }
}
