package dev.logpipe.filesink.internal.writer;

import dev.logpipe.channels.WatchSender;
import dev.logpipe.filesink.JournalWriteException;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.SinkListener;
import dev.logpipe.filesink.internal.queue.ChronicleRollCycles;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import dev.logpipe.runtime.JoinHandle;
import dev.logpipe.runtime.TaskRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Runs the journal's syncs on the runtime's blocking pool, one at a time, and publishes what they
 * make durable.
 *
 * <p>A sync reads the writer's {@code writtenIndex} <em>before</em> it forces anything, then calls
 * {@link FileChannel#force} on every segment file written since the last sync (the current one and
 * any just rolled). On Linux {@code fsync} writes back the file's dirty page-cache pages, including
 * those dirtied through Chronicle's memory mappings, so every record up to that index is on disk
 * when it returns. Then it raises the durable watermark: the watch channel, the listener, and the
 * {@link DurabilityWaiters} (completed in a task on a runtime worker, never on the sync thread).
 *
 * <p>Requests while a sync runs are coalesced into one more sync after it. The writer never waits
 * for a sync, except for the final one when it stops.
 *
 * <p>Threading: thread-safe. {@link #noteCycle} and {@link #noteBatch} are called by the writer
 * thread; {@link #request} from any thread; sync state is confined to the one sync in flight.
 */
public final class SyncCoordinator {

    private static final Logger LOG = LoggerFactory.getLogger(SyncCoordinator.class);

    /** A writer batch waiting to become durable, for {@link SinkListener#onDurable}. */
    private record PendingBatch(long lastIndex, int records, long firstReceiveNanos) {
    }

    /** The sum of the batches not yet durable when they are not listed one by one. */
    private static final class UnlistedBatches {
        long records;
        long firstReceiveNanos;
        long lastIndex = -1;
    }

    private final Path dir;
    private final RollCycle rollCycle;
    private final TaskRuntime runtime;
    private final WriterCounters counters;
    private final SinkListener listener;
    private final WatchSender<Long> watermark;
    private final DurabilityWaiters waiters;
    private final ReceiptTasks receiptTasks;
    private final Consumer<Throwable> onFailure;

    private final ConcurrentSkipListSet<Integer> dirtyCycles = new ConcurrentSkipListSet<>();
    private final ConcurrentLinkedQueue<PendingBatch> pending = new ConcurrentLinkedQueue<>();
    /** Policy "never": all batches since the last sync, summed; guarded by its own monitor. */
    private final UnlistedBatches unlisted = new UnlistedBatches();
    private final AtomicBoolean requested = new AtomicBoolean();
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private final boolean syncsWhileRunning;
    private volatile boolean newFiles;
    private volatile boolean failed;

    // confined to the sync in flight (handed over by the inFlight CAS)
    private final Map<Integer, FileChannel> channels = new HashMap<>();

    public SyncCoordinator(Path dir, RollCycle rollCycle, TaskRuntime runtime, WriterCounters counters,
                           SinkListener listener, WatchSender<Long> watermark, DurabilityWaiters waiters,
                           ReceiptTasks receiptTasks, Consumer<Throwable> onFailure, boolean syncsWhileRunning) {
        this.syncsWhileRunning = syncsWhileRunning;
        this.dir = dir;
        this.rollCycle = rollCycle;
        this.runtime = runtime;
        this.counters = counters;
        this.listener = listener;
        this.watermark = watermark;
        this.waiters = waiters;
        this.receiptTasks = receiptTasks;
        this.onFailure = onFailure;
    }

    /** Writer thread: records in {@code cycle}'s file need syncing (called when the writer enters a cycle). */
    public void noteCycle(int cycle) {
        if (dirtyCycles.add(cycle)) {
            newFiles = true;
        }
    }

    /**
     * Writer thread: a batch ending at {@code lastIndex} was appended. When nothing syncs while
     * running (policy "never") the batches are summed into one instead of listed (a list would
     * only grow), so the final sync still reports every record it made durable.
     */
    public void noteBatch(long lastIndex, int records, long firstReceiveNanos) {
        if (syncsWhileRunning) {
            pending.add(new PendingBatch(lastIndex, records, firstReceiveNanos));
        } else {
            synchronized (unlisted) {
                if (unlisted.records == 0) {
                    unlisted.firstReceiveNanos = firstReceiveNanos;
                }
                unlisted.records += records;
                unlisted.lastIndex = lastIndex;
            }
        }
    }

    /** False under the policy "never": no sync while running, only the final one. */
    public boolean syncsWhileRunning() {
        return syncsWhileRunning;
    }

    /** Asks for a sync soon; returns at once. */
    public void request() {
        requested.set(true);
        tryStart();
    }

    /** True when a sync would make something new durable. */
    public boolean behind() {
        return counters.writtenIndex > counters.durableIndex;
    }

    private void tryStart() {
        if (failed || !requested.get() || !inFlight.compareAndSet(false, true)) {
            return;
        }
        JoinHandle<Void> h = runtime.spawnBlocking(this::runLoop);
        if (h.isCancelled()) {
            // the runtime is shutting down; the writer's final sync runs inline instead
            inFlight.set(false);
        }
    }

    private void runLoop() {
        try {
            while (requested.getAndSet(false) && !failed) {
                syncOnce();
            }
        } finally {
            inFlight.set(false);
        }
        if (requested.get()) {
            tryStart(); // a request raced with our exit
        }
    }

    /**
     * Writer thread, at the end: waits for a sync in flight, then runs a last sync on the blocking
     * pool (inline if the runtime no longer takes tasks) and waits for it.
     *
     * @return the durable index afterwards
     */
    public long finalSync() throws InterruptedException {
        while (!inFlight.compareAndSet(false, true)) {
            Thread.sleep(1); // a sync is running; it takes at most a few ms
        }
        try {
            if (!failed && behind()) {
                requested.set(false);
                JoinHandle<Void> h = runtime.spawnBlocking(this::syncOnce);
                if (h.isCancelled()) {
                    syncOnce();
                } else {
                    try {
                        h.join();
                    } catch (RuntimeException e) {
                        // syncOnce reports its own failures; anything else is a bug to surface
                        LOG.error("final journal sync failed", e);
                    }
                }
            }
            closeChannels();
        } finally {
            inFlight.set(false);
        }
        return counters.durableIndex;
    }

    /** Drops synced pages from the page cache, or null (see {@link #pageCacheDrop(PageCacheDrop)}). */
    private PageCacheDrop pageCacheDrop;

    /** After each sync, {@code drop} lets go of the cached pages far enough behind what it covered (before {@code start}). */
    public void pageCacheDrop(PageCacheDrop drop) {
        this.pageCacheDrop = drop;
    }

    private void syncOnce() {
        long target = counters.writtenIndex; // read before forcing: everything up to it is in the mapping
        WriterCounters.WrittenPosition written = counters.writtenPosition; // likewise, bytes up to it
        if (target <= counters.durableIndex) {
            return;
        }
        net.openhft.chronicle.queue.RollCycle rc = ChronicleRollCycles.of(rollCycle);
        int targetCycle = rc.toCycle(target);
        long t0 = System.nanoTime();
        try {
            boolean dirToo = newFiles;
            newFiles = false;
            for (Iterator<Integer> it = dirtyCycles.iterator(); it.hasNext(); ) {
                int c = it.next();
                if (c > targetCycle) {
                    break;
                }
                FileChannel ch = channel(c);
                if (ch != null) {
                    ch.force(false);
                }
                if (c < targetCycle) {
                    // rolled: the writer wrote its end-of-file marker before the target's record
                    it.remove();
                    FileChannel old = channels.remove(c);
                    if (old != null) {
                        old.close();
                    }
                }
            }
            if (dirToo) {
                forceDirectory();
            }
        } catch (IOException | RuntimeException e) {
            failed = true;
            counters.syncFailures++;
            JournalWriteException ex = new JournalWriteException("journal sync failed in " + dir + ": " + e
                    + "; records after index " + counters.durableIndex + " may not be on disk", e);
            counters.error(ex);
            LOG.error(ex.getMessage(), e);
            listener.onError(ex);
            onFailure.accept(ex);
            return;
        }
        long dt = System.nanoTime() - t0;
        counters.lastSyncNanos = dt;
        counters.totalSyncNanos += dt;
        if (dt > counters.maxSyncNanos) {
            counters.maxSyncNanos = dt;
        }
        counters.syncs++;
        counters.durableIndex = target;
        watermark.send(target);
        try {
            report(dt, target);
        } finally {
            // also after an Error from the listener: a later sync, finding nothing new to force, would
            // return before this, and these receipts would wait for good
            DurabilityWaiters.Release release = waiters.advance(target);
            if (release != null) {
                receiptTasks.run(release);
            }
        }
        // after the completions are handed on: an optimisation must not delay an acknowledgement
        PageCacheDrop drop = pageCacheDrop;
        FileChannel segment = drop == null || written == null || written.cycle() != targetCycle
                ? null : channels.get(targetCycle);
        if (segment != null) {
            drop.afterSync(segment, written.offset());
        }
    }

    /** Tells the listener of the sync, and of the batches it made durable (counted too). */
    private void report(long dt, long target) {
        listener.onSync(dt, target);
        long now = LogRecord.nowNanos();
        long unlistedRecords = 0;
        long unlistedFirst = 0;
        synchronized (unlisted) {
            if (unlisted.records > 0 && unlisted.lastIndex <= target) {
                unlistedRecords = unlisted.records;
                unlistedFirst = unlisted.firstReceiveNanos;
                unlisted.records = 0;
            }
        }
        if (unlistedRecords > 0) {
            counters.durableRecords += unlistedRecords;
            listener.onDurable(unlistedRecords, unlistedFirst, now);
        }
        for (PendingBatch b; (b = pending.peek()) != null && b.lastIndex <= target; ) {
            pending.poll();
            counters.durableRecords += b.records;
            listener.onDurable(b.records, b.firstReceiveNanos, now);
        }
    }

    /**
     * Completes {@code futures[i]} with {@code indexes[i]} once that index is durable, for the first
     * {@code n}; the writer calls it once per batch with ascending indexes. Completion runs on a
     * runtime worker, never on the caller's thread.
     */
    void awaitDurable(long[] indexes, CompletableFuture<Long>[] futures, int n) {
        DurabilityWaiters.Release now = waiters.register(indexes, futures, n);
        if (now != null) {
            receiptTasks.run(now);
        }
    }

    private FileChannel channel(int cycle) throws IOException {
        FileChannel ch = channels.get(cycle);
        if (ch == null) {
            Path f = JournalQueues.segmentFile(dir, rollCycle, cycle);
            try {
                ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (NoSuchFileException e) {
                return null; // deleted by retention after it was synced
            }
            channels.put(cycle, ch);
        }
        return ch;
    }

    private void forceDirectory() {
        // makes new segment files' directory entries durable; not possible on every OS
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            LOG.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
        try (FileChannel m = FileChannel.open(dir.resolve("metadata.cq4t"), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            m.force(false);
        } catch (IOException e) {
            LOG.debug("cannot fsync queue metadata in {}: {}", dir, e.toString());
        }
    }

    private void closeChannels() {
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing left to do with it
            }
        }
        channels.clear();
    }
}
