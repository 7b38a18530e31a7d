package dev.logpipe.filesink.internal.writer;

import dev.logpipe.channels.BroadcastReceiver;
import dev.logpipe.channels.MpscReceiver;
import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.channels.Watch;
import dev.logpipe.channels.WatchReceiver;
import dev.logpipe.channels.WatchSender;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.JournalSettings;
import dev.logpipe.filesink.JournalState;
import dev.logpipe.filesink.JournalWriteException;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.Segment;
import dev.logpipe.filesink.SinkListener;
import dev.logpipe.filesink.SinkStats;
import dev.logpipe.filesink.SyncPolicy;
import dev.logpipe.filesink.WriterReport;
import dev.logpipe.filesink.internal.queue.ClockTimeProvider;
import dev.logpipe.filesink.internal.queue.JournalMeta;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import dev.logpipe.filesink.internal.queue.SegmentSizes;
import dev.logpipe.filesink.internal.repair.RepairSwap;
import dev.logpipe.filesink.internal.retention.RetentionPolicy;
import dev.logpipe.filesink.internal.scan.SegmentScanner;
import dev.logpipe.filesink.internal.scan.SegmentTails;
import dev.logpipe.filesink.internal.retention.RetentionTask;
import dev.logpipe.runtime.JoinHandle;
import dev.logpipe.runtime.TaskRuntime;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The journal writer assembled and run: what {@link dev.logpipe.filesink.FileSink} does, behind
 * that small API. It takes the directory lock, opens the queue (past a damaged tail), builds the
 * writer, the sync coordinator, retention and the free-space check, runs the writer thread and
 * reports when it has stopped. See {@code FileSink} for the lifecycle and the guarantees.
 *
 * <p>Threading: thread-safe. {@link #close()} blocks and must not be called on a runtime worker or
 * an event loop.
 */
public final class JournalSink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JournalSink.class);
    /** How long a stopping writer waits for receipt completions still queued for a runtime worker. */
    private static final Duration RECEIPTS_TIMEOUT = Duration.ofSeconds(10);

    private enum State { NEW, RUNNING, STOPPED }

    private final Path dir;
    /** The stop summary at debug: a throwaway journal (a JIT warm-up's). */
    private final boolean quiet;
    private final Function<AppendRequest, CompletableFuture<Long>> receipts;
    private final Function<AppendRequest, byte[]> encodedBodies;
    private final TaskRuntime runtime;
    private final boolean ownRuntime;
    private final SyncPolicy syncPolicy;
    private final RollCycle wantedRollCycle;
    private final RetentionPolicy retention;
    private final Duration retentionCheckInterval;
    private final int batchSize;
    private final boolean prefaultPages;
    /** The prefaulter's system call; null: this OS's. */
    private final dev.logpipe.filesink.internal.queue.Madvise madvise;
    private final FileStore fileStore;
    private final long minFreeBytes;
    private final Duration spaceCheckInterval;
    private final Clock clock;
    private final int maxRecordBytes;
    private final SinkListener listener;
    private final BroadcastReceiver<?> shutdownSignal;

    private final WriterCounters counters = new WriterCounters();
    /** For {@link #requestSync}; set once by {@link #start}, null under "sync never". */
    private volatile SyncCoordinator sync;
    private final DurabilityWaiters waiters = new DurabilityWaiters();
    /** Completes receipts on the runtime's workers; {@link #terminated} waits for what it was handed. */
    private final ReceiptTasks receiptTasks;
    private final WatchSender<Long> watermarkSender;
    private final WatchReceiver<Long> watermarkKeep;
    private final WatchSender<Segment> segmentSender;
    private final WatchReceiver<Segment> segmentKeep;
    private final CompletableFuture<WriterReport> terminated = new CompletableFuture<>();
    private final AtomicBoolean retentionRunning = new AtomicBoolean();

    private final Object lifecycle = new Object();
    private State state = State.NEW;
    private MpscReceiver<AppendRequest> input;
    private volatile RollCycle rollCycle;
    private JournalWriter writer;
    private RetentionTask retentionTask;
    private SingleChronicleQueue queue;
    /** The damaged end of the last segment found at start, or null. */
    private SegmentTails.Tail damagedTail;
    private final List<JoinHandle<Void>> timers = new ArrayList<>();
    /** What the writer shares with sync and retention; set by {@link #start}. */
    private WriterState shared;

    /**
     * @param config the sink's settings
     * @param receipts a request's receipt future, or null (the API type keeps it to itself)
     * @param encodedBodies a request's record bytes when it came encoded, else null (kept to itself too)
     */
    public JournalSink(SinkConfig config, Function<AppendRequest, CompletableFuture<Long>> receipts,
                       Function<AppendRequest, byte[]> encodedBodies) {
        this.dir = config.dir();
        this.quiet = config.quiet();
        this.receipts = receipts;
        this.encodedBodies = encodedBodies;
        this.ownRuntime = config.runtime() == null;
        this.runtime = ownRuntime
                ? TaskRuntime.builder().workerThreads(1).maxBlockingThreads(4).threadNamePrefix("logpipe-sink").build()
                : config.runtime();
        this.receiptTasks = new ReceiptTasks(runtime);
        this.syncPolicy = config.syncPolicy();
        this.wantedRollCycle = config.rollCycle();
        this.retention = config.retention();
        this.retentionCheckInterval = config.retentionCheckInterval();
        this.batchSize = config.batchSize();
        this.prefaultPages = config.prefaultPages();
        this.madvise = config.madvise();
        this.fileStore = config.fileStore();
        this.minFreeBytes = config.minFreeBytes();
        this.spaceCheckInterval = config.spaceCheckInterval();
        this.clock = config.clock();
        this.maxRecordBytes = config.maxRecordBytes();
        this.listener = SafeListener.wrap(config.listener());
        this.shutdownSignal = config.shutdownSignal();
        Watch.Channel<Long> wm = Watch.channel(-1L);
        this.watermarkSender = wm.sender();
        this.watermarkKeep = wm.receiver();
        Watch.Channel<Segment> seg = Watch.channel(Segment.NONE);
        this.segmentSender = seg.sender();
        this.segmentKeep = seg.receiver();
    }

    /**
     * Opens the journal and starts the writer thread on {@code input}. The writer continues after
     * the last complete record already in the journal. Returns once the writer has its appender:
     * {@link #journalState()} is then {@link JournalState#WRITABLE} (or soon {@link JournalState#PAUSED}
     * if the file system is already short of space).
     *
     * @throws JournalLockedException if another live writer holds the directory
     * @throws IllegalStateException if already started
     * @throws java.io.UncheckedIOException if the directory cannot be created or written
     */
    public void start(MpscReceiver<AppendRequest> input) {
        Objects.requireNonNull(input, "input");
        synchronized (lifecycle) {
            if (state != State.NEW) {
                throw new IllegalStateException("FileSink already started");
            }
            DirectoryLock lock = DirectoryLock.acquire(dir);
            try {
                try {
                    RepairSwap.recover(dir, DirectoryLock.FILE_NAME).ifPresent(LOG::warn);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot finish the interrupted in-place repair of " + dir + ": "
                            + e.getMessage(), e);
                }
                JournalMeta meta = JournalMeta.openOrCreate(dir, wantedRollCycle);
                if (meta.rollCycle() != wantedRollCycle) {
                    LOG.warn("journal {} was created with roll cycle {}; keeping it (asked for {})", dir,
                            meta.rollCycle(), wantedRollCycle);
                }
                this.rollCycle = meta.rollCycle();
                this.queue = openQueue();
            } catch (RuntimeException e) {
                lock.close();
                throw e;
            }
            FileStore store;
            try {
                store = fileStore != null ? fileStore : Files.getFileStore(dir);
            } catch (IOException e) {
                queue.close();
                lock.close();
                throw new UncheckedIOException("cannot find the file system of " + dir + ": " + e, e);
            } catch (RuntimeException e) {
                queue.close();
                lock.close();
                throw e;
            }
            this.input = input;
            this.shared = new WriterState(input, counters);
            SyncCoordinator sync = new SyncCoordinator(dir, rollCycle, runtime, counters, listener, watermarkSender,
                    waiters, receiptTasks, shared::failFromSync, syncPolicy.syncsWhileRunning());
            if (prefaultPages) {
                // the other half of the page-cache work: new pages ahead, durable ones far behind let go
                sync.pageCacheDrop(PageCacheDrop.forThisOs());
            }
            this.retentionTask = new RetentionTask(dir, rollCycle, retention, clock, shared::currentCycle, listener,
                    counters, queue::refreshDirectoryListing, s -> SegmentSizes.usedBytes(queue, s));
            SpaceGuard space = new SpaceGuard(dir, store, minFreeBytes, spaceCheckInterval, counters,
                    this::requestRetention);
            this.writer = new JournalWriter(new JournalWriter.Config(dir, rollCycle, batchSize, syncPolicy, maxRecordBytes),
                    new JournalWriter.Parts(queue, input, receiptTasks, counters, shared, sync, listener, segmentSender,
                            receipts, encodedBodies, this::requestRetention,
                            prefaultPages ? (madvise == null ? PagePrefaulter.forThisOs(runtime)
                                    : new PagePrefaulter(runtime, madvise)) : null, space));
            if (syncPolicy.syncsWhileRunning()) {
                this.sync = sync;
            }
            try {
                writer.recoverPosition(damagedTail == null ? null : damagedTail.cycle(),
                        damagedTail == null ? -1 : damagedTail.lastIndex());
            } catch (RuntimeException e) {
                queue.close();
                lock.close();
                throw new IllegalStateException("cannot open the journal in " + dir + ": " + e
                        + "; run 'logpipe verify' on it", e);
            }
            Duration syncInterval = syncPolicy.interval();
            if (syncInterval != null) {
                timers.add(runtime.spawnAtFixedRate(syncInterval, syncInterval, () -> {
                    if (sync.behind()) {
                        sync.request();
                    }
                }));
            }
            if (!retention.keepsEverything()) {
                timers.add(runtime.spawnAtFixedRate(retentionCheckInterval, retentionCheckInterval,
                        this::requestRetention));
            }
            if (shutdownSignal != null) {
                // a shutdown broadcast stops new sends; the writer still drains what is buffered
                shutdownSignal.recv().whenComplete((v, e) -> input.close());
            }
            Thread t = new Thread(() -> runWriter(sync, lock), JournalWriter.THREAD_NAME);
            t.setDaemon(false); // it owns buffered records: the JVM must not exit before it drains
            state = State.RUNNING;
            t.start();
        }
        // the journal is open for writing (JournalState.WRITABLE, or FAILED) when start() returns
        writer.awaitAppender();
    }

    /**
     * Opens the queue for writing so that nothing written now can hide behind damage: when the last
     * segment ends in damage (truncated, garbled, or zeroed where records were), Chronicle would
     * append behind it, so the writer starts in the next cycle's segment instead (its time provider
     * reads no earlier than that cycle's start until the clock gets there). Chronicle's metadata
     * that it cannot open is moved aside ({@code metadata.cq4t.damaged-MILLIS}); Chronicle rebuilds it
     * from the segment files.
     */
    private SingleChronicleQueue openQueue() {
        java.time.Instant floor = java.time.Instant.EPOCH;
        try {
            List<JournalQueues.SegmentFile> segs = JournalQueues.listSegments(dir, rollCycle);
            for (JournalQueues.SegmentFile seg : segs) {
                String problem = SegmentScanner.unopenableWithData(seg.file());
                if (problem != null) {
                    // Chronicle renames a segment it cannot open to *.discard and starts an empty one in its
                    // place (it does so when the writer's start closes earlier segments): the records in it
                    // would be hidden, and verify would then find nothing wrong
                    throw new IllegalStateException("journal " + dir + ": segment " + seg.file().getFileName() + " "
                            + problem + "; the writer does not start on it, because Chronicle would set the file aside"
                            + " and hide its records: run 'logpipe repair --data " + dir + " --in-place' (it reads the"
                            + " records around the damage into a sound journal), then start again");
                }
            }
            if (!segs.isEmpty()) {
                // never append to a cycle before the journal's last segment (a clock stepped back, or
                // a previous run that started past damage): records must stay in index order
                int lastCycle = segs.get(segs.size() - 1).cycle();
                floor = JournalQueues.cycleStart(rollCycle, lastCycle);
                if (clock.instant().isBefore(floor)) {
                    LOG.warn("journal {}: its last segment, {}, is later than the clock ({}); new records go to it"
                            + " until the clock gets there", dir, segs.get(segs.size() - 1).file().getFileName(),
                            clock.instant());
                }
            }
            SegmentTails.Tail tail = SegmentTails.damagedTail(dir, rollCycle);
            damagedTail = tail;
            if (tail != null) {
                int next = tail.cycle() + 1;
                floor = JournalQueues.cycleStart(rollCycle, next);
                LOG.warn("journal {}: the last segment ends in damage or in a record left unfinished by a writer that"
                        + " was killed ({}); new records go to the next segment, {}, so that readers reach them; run"
                        + " 'logpipe verify' for details", dir, tail.problem(),
                        JournalQueues.segmentFile(dir, rollCycle, next).getFileName());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read the journal in " + dir + ": " + e.getMessage(), e);
        }
        Path meta = dir.resolve("metadata.cq4t");
        if (java.nio.file.Files.isRegularFile(meta) && !SegmentScanner.hasChronicleHeader(meta)) {
            moveAside(meta, "it has no Chronicle header");
        }
        try {
            return JournalQueues.openForWrite(dir, rollCycle, new ClockTimeProvider(clock, floor),
                    JournalSettings.chunkBytesFor(maxRecordBytes));
        } catch (RuntimeException | InternalError e) {
            if (!java.nio.file.Files.isRegularFile(meta)) {
                throw e;
            }
            moveAside(meta, e.toString());
            return JournalQueues.openForWrite(dir, rollCycle, new ClockTimeProvider(clock, floor),
                    JournalSettings.chunkBytesFor(maxRecordBytes));
        }
    }

    private void moveAside(Path meta, String why) {
        Path aside = dir.resolve("metadata.cq4t.damaged-" + System.currentTimeMillis());
        try {
            java.nio.file.Files.move(meta, aside);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("Chronicle's metadata " + meta + " is damaged (" + why
                    + ") and cannot be moved aside: " + e.getMessage() + "; move it away by hand", e);
        }
        LOG.warn("journal {}: Chronicle's metadata is damaged ({}); moved it to {}, Chronicle rebuilds it", dir, why,
                aside.getFileName());
    }

    private void runWriter(SyncCoordinator sync, DirectoryLock lock) {
        Throwable error = null;
        long durable = counters.durableIndex();
        try {
            writer.run();
            try {
                durable = sync.finalSync();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } catch (Throwable t) {
            error = t;
            LOG.error("journal writer ended with an error", t);
        } finally {
            for (JoinHandle<Void> h : timers) {
                h.abort();
            }
            try {
                queue.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the journal queue failed", e);
            }
            lock.close();
            JournalWriteException failure = shared.failure();
            if (error == null) {
                error = failure;
            }
            JournalWriteException stop = failure != null ? failure
                    : new JournalWriteException("the journal writer stopped before this index was written", null);
            DurabilityWaiters.Release failed = waiters.failRemaining(stop);
            if (failed != null) {
                failed.run();
            }
            awaitReceipts();
            WriterReport report = new WriterReport(counters.writtenRecords(), counters.writtenBytes(),
                    counters.failedRecords(), counters.writtenIndex(), durable, counters.syncs(), error,
                    counters.abandonedRecords());
            synchronized (lifecycle) {
                state = State.STOPPED;
            }
            (quiet ? LOG.atDebug() : LOG.atInfo()).log("journal writer stopped ({}): {} records, {} bytes written,"
                    + " last index {}, durable {}, {} failed, {} abandoned", dir, report.writtenRecords(),
                    report.writtenBytes(), report.lastIndex(), report.durableIndex(), report.failedRecords(),
                    report.abandonedRecords());
            if (ownRuntime) {
                runtime.shutdown(Duration.ofSeconds(5));
            }
            terminated.complete(report);
        }
    }

    /**
     * Waits until the receipts handed to the workers have been completed, so that whoever waits on
     * {@link #terminated} finds every receipt settled (they used to be completed a moment after it, on
     * a worker). Bounded: only an application's callback holding a worker delays them.
     */
    private void awaitReceipts() {
        try {
            long left = receiptTasks.awaitIdle(RECEIPTS_TIMEOUT);
            if (left > 0) {
                LOG.warn("journal writer in {} stopping: {} receipt completion task(s) still wait for a runtime"
                        + " worker after {} s (a callback on a receipt is holding the worker?); not waiting longer",
                        dir, left, RECEIPTS_TIMEOUT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void requestRetention() {
        if (retention.keepsEverything() || !retentionRunning.compareAndSet(false, true)) {
            return;
        }
        JoinHandle<Void> h = runtime.spawnBlocking(() -> {
            try {
                writer.awaitAppender();
                retentionTask.run();
            } catch (Exception e) {
                LOG.warn("retention pass failed in {}", dir, e);
                counters.retentionError();
                listener.onError(e);
            } finally {
                retentionRunning.set(false);
            }
        });
        if (h.isCancelled()) {
            retentionRunning.set(false);
        }
    }

    /**
     * Asks for a sync now instead of at the next interval, for producers that wait for durability
     * (acknowledged protocols). Coalesced: while a sync runs, any number of requests make one more
     * sync after it; nothing happens when everything written is already durable, before
     * {@link #start}, or under {@link SyncPolicy#never()} (which promises no sync while running).
     *
     * <p>Threading: any thread; returns at once.
     */
    public void requestSync() {
        SyncCoordinator s = sync;
        if (s != null && s.behind()) {
            s.request();
        }
    }

    /** The journal directory. */
    public Path directory() {
        return dir;
    }

    /**
     * A new receiver of the durable watermark: the highest index known to be on disk, -1 before any.
     * Each call subscribes a new receiver (receivers are confined to their user).
     */
    public WatchReceiver<Long> durableWatermark() {
        return watermarkSender.subscribe();
    }

    /** A new receiver of the current segment; {@link Segment#NONE} until the writer has one. */
    public WatchReceiver<Segment> segments() {
        return segmentSender.subscribe();
    }

    /** The highest index appended (written), -1 if none. */
    public long writtenIndex() {
        return counters.writtenIndex();
    }

    /**
     * A stage that completes with {@code index} once it is durable. It completes on a runtime
     * worker thread (or at once on the caller's if already durable), or exceptionally with
     * {@link JournalWriteException} if the writer stopped first. Callbacks must not block.
     */
    public CompletionStage<Long> whenDurable(long index) {
        return waiters.await(index).minimalCompletionStage();
    }

    /** Completes with the writer's report when it has stopped (never exceptionally). */
    public CompletionStage<WriterReport> terminated() {
        return terminated.minimalCompletionStage();
    }

    /** A snapshot of the counters. */
    public SinkStats stats() {
        return counters.snapshot();
    }

    /** Whether the journal can store records now ({@link JournalState#STARTING} before {@link #start}). */
    public JournalState journalState() {
        return counters.state();
    }

    /**
     * The journal's roll cycle once started: the one it was created with, which an existing journal
     * keeps whatever was asked; before {@link #start}, the one asked for.
     */
    public RollCycle rollCycle() {
        RollCycle c = rollCycle;
        return c != null ? c : wantedRollCycle;
    }

    /**
     * Stops storing, for a shutdown that ran out of time: closes the input (senders get
     * {@code Closed} with their record back), and the writer fails what it holds and what is still
     * in the channel (their receipts complete exceptionally; counted in
     * {@link SinkStats#abandonedRecords()}), wakes up if it was paused for lack of space, syncs what
     * it wrote and ends. Returns at once; wait on {@link #terminated()}. No-op before {@link #start}.
     */
    public void abandon() {
        JournalWriter w;
        synchronized (lifecycle) {
            w = writer;
        }
        if (w != null) {
            w.abandon();
        }
    }

    /**
     * Runs one retention pass now on the blocking pool (it also runs after every roll and every
     * retention check interval). Completes with the number of segments deleted.
     */
    public CompletionStage<Integer> runRetention() {
        synchronized (lifecycle) {
            if (retentionTask == null) {
                throw new IllegalStateException("FileSink not started");
            }
        }
        return runtime.spawnBlocking(() -> {
            writer.awaitAppender();
            return retentionTask.run().size();
        });
    }

    /**
     * Stops taking new records (closes the input receiver: senders get {@code Closed}), waits for
     * the writer to drain what is buffered, sync and close the journal. Idempotent. While the writer is
     * paused for lack of space this waits for space; call {@link #abandon()} to give up instead.
     *
     * @throws IllegalStateException if called on a runtime worker or another non-blocking thread
     */
    @Override
    public void close() {
        NonBlockingThread.check("FileSink.close");
        synchronized (lifecycle) {
            if (state == State.NEW) {
                state = State.STOPPED;
                terminated.complete(new WriterReport(0, 0, 0, -1, -1, 0, null, 0));
                if (ownRuntime) {
                    runtime.shutdown(Duration.ofSeconds(5));
                }
                return;
            }
        }
        input.close();
        boolean interrupted = false;
        while (true) {
            try {
                terminated.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (java.util.concurrent.ExecutionException e) {
                break; // never happens: terminated completes normally
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        watermarkKeep.close();
        segmentKeep.close();
    }
}
