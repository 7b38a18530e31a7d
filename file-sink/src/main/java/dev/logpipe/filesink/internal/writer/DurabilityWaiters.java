package dev.logpipe.filesink.internal.writer;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;

/**
 * Futures waiting for an index to become durable. Two ways in, one way out:
 * <ul>
 *   <li>{@link #register}: the writer hands over a whole batch's durable receipts at once, in index
 *       order (it appends in order), so they queue in a FIFO ring of two arrays: no object, lock or
 *       sort per record;</li>
 *   <li>{@link #await}: anyone asks for any index ({@code FileSink.whenDurable}), in any order; those
 *       go to a small heap ordered by index.</li>
 * </ul>
 * A new watermark ({@link #advance}) takes exactly the waiters at or below it from both, without
 * scanning the rest, and hands them back as one {@link Release} for the caller to complete off the
 * sync thread.
 *
 * <p>Threading: thread-safe (a small lock around the two queues; completion runs outside it).
 */
public final class DurabilityWaiters {

    private record Waiter(long index, CompletableFuture<Long> future) {
    }

    /** Waiters taken from the queues, to complete outside the lock: one task however many. */
    public static final class Release implements Runnable {
        private final long[] indexes;
        private final CompletableFuture<Long>[] futures;
        private final int size;
        private final Throwable failure;

        private Release(long[] indexes, CompletableFuture<Long>[] futures, int size, Throwable failure) {
            this.indexes = indexes;
            this.futures = futures;
            this.size = size;
            this.failure = failure;
        }

        /** How many futures this completes. */
        public int size() {
            return size;
        }

        @Override
        public void run() {
            for (int i = 0; i < size; i++) {
                if (failure == null) {
                    futures[i].complete(indexes[i]);
                } else {
                    futures[i].completeExceptionally(failure);
                }
            }
        }
    }

    private final PriorityQueue<Waiter> heap = new PriorityQueue<>((a, b) -> Long.compare(a.index, b.index));
    // FIFO ring of in-order waiters: head is the oldest; capacity a power of two, grown when full
    private long[] fifoIndexes = new long[1024];
    @SuppressWarnings("unchecked")
    private CompletableFuture<Long>[] fifoFutures = new CompletableFuture[1024];
    private int fifoHead;
    private int fifoSize;
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

    /**
     * Queues {@code n} futures to complete with their indexes once durable. The indexes must
     * ascend, and be above every index registered before (the writer's order).
     *
     * @return the waiters that are durable already (or failed already), to complete off the
     *     caller's thread; null when none
     */
    public Release register(long[] indexes, CompletableFuture<Long>[] futures, int n) {
        synchronized (this) {
            if (failure != null) {
                return new Release(indexes, futures, n, failure);
            }
            int from = 0;
            while (from < n && indexes[from] <= durable) {
                from++;
            }
            ensureRoom(n - from);
            int mask = fifoIndexes.length - 1;
            for (int i = from; i < n; i++) {
                int slot = (fifoHead + fifoSize++) & mask;
                fifoIndexes[slot] = indexes[i];
                fifoFutures[slot] = futures[i];
            }
            return from == 0 ? null : new Release(indexes, futures, from, null);
        }
    }

    private void ensureRoom(int more) {
        int need = fifoSize + more;
        if (need <= fifoIndexes.length) {
            return;
        }
        int cap = Integer.highestOneBit(need - 1) << 1;
        long[] idx = new long[cap];
        @SuppressWarnings("unchecked")
        CompletableFuture<Long>[] fut = new CompletableFuture[cap];
        int mask = fifoIndexes.length - 1;
        for (int i = 0; i < fifoSize; i++) {
            int slot = (fifoHead + i) & mask;
            idx[i] = fifoIndexes[slot];
            fut[i] = fifoFutures[slot];
        }
        fifoIndexes = idx;
        fifoFutures = fut;
        fifoHead = 0;
    }

    /** Raises the watermark and returns the waiters it releases (null when none), for the caller to complete. */
    public Release advance(long watermark) {
        synchronized (this) {
            if (watermark > durable) {
                durable = watermark;
            }
            int fromFifo = 0;
            int mask = fifoIndexes.length - 1;
            while (fromFifo < fifoSize && fifoIndexes[(fifoHead + fromFifo) & mask] <= durable) {
                fromFifo++;
            }
            List<Waiter> fromHeap = new ArrayList<>();
            while (!heap.isEmpty() && heap.peek().index <= durable) {
                fromHeap.add(heap.poll());
            }
            if (fromFifo + fromHeap.size() == 0) {
                return null;
            }
            return take(fromFifo, fromHeap, null);
        }
    }

    /** Fails every waiter above the watermark, now and later (the writer stopped); null when none waited. */
    public Release failRemaining(Throwable t) {
        synchronized (this) {
            failure = t;
            if (fifoSize + heap.size() == 0) {
                return null;
            }
            List<Waiter> all = new ArrayList<>(heap);
            heap.clear();
            return take(fifoSize, all, t);
        }
    }

    // under the lock: removes the first fromFifo FIFO entries; fromHeap were taken from the heap
    private Release take(int fromFifo, List<Waiter> fromHeap, Throwable t) {
        int n = fromFifo + fromHeap.size();
        long[] idx = new long[n];
        @SuppressWarnings("unchecked")
        CompletableFuture<Long>[] fut = new CompletableFuture[n];
        int mask = fifoIndexes.length - 1;
        for (int i = 0; i < fromFifo; i++) {
            int slot = (fifoHead + i) & mask;
            idx[i] = fifoIndexes[slot];
            fut[i] = fifoFutures[slot];
            fifoFutures[slot] = null; // the ring must not keep completed futures reachable
        }
        fifoHead = (fifoHead + fromFifo) & mask;
        fifoSize -= fromFifo;
        for (int i = fromFifo; i < n; i++) {
            Waiter w = fromHeap.get(i - fromFifo);
            idx[i] = w.index;
            fut[i] = w.future;
        }
        if (fifoSize == 0 && fifoIndexes.length > 1024) {
            // a burst grew the ring; give the memory back once it has drained
            fifoIndexes = new long[1024];
            @SuppressWarnings("unchecked")
            CompletableFuture<Long>[] small = new CompletableFuture[1024];
            fifoFutures = small;
            fifoHead = 0;
        }
        return new Release(idx, fut, n, t);
    }

    /** The watermark. */
    public long durable() {
        return durable;
    }

    /** How many futures wait. */
    public synchronized int size() {
        return heap.size() + fifoSize;
    }
}
