package dev.logpipe.filesink;

import dev.logpipe.channels.BroadcastReceiver;
import dev.logpipe.channels.MpscReceiver;
import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.channels.Watch;
import dev.logpipe.channels.WatchReceiver;
import dev.logpipe.channels.WatchSender;
import dev.logpipe.filesink.internal.queue.ClockTimeProvider;
import dev.logpipe.filesink.internal.queue.JournalMeta;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import dev.logpipe.filesink.internal.queue.SegmentSizes;
import dev.logpipe.filesink.internal.retention.RetentionPolicy;
import dev.logpipe.filesink.internal.scan.SegmentScanner;
import dev.logpipe.filesink.internal.scan.SegmentTails;
import dev.logpipe.filesink.internal.retention.RetentionTask;
import dev.logpipe.filesink.internal.writer.DirectoryLock;
import dev.logpipe.filesink.internal.writer.DurabilityWaiters;
import dev.logpipe.filesink.internal.writer.JournalWriter;
import dev.logpipe.filesink.internal.writer.PagePrefaulter;
import dev.logpipe.filesink.internal.writer.SafeListener;
import dev.logpipe.filesink.internal.writer.SpaceGuard;
import dev.logpipe.filesink.internal.writer.SyncCoordinator;
import dev.logpipe.filesink.internal.writer.WriterCounters;
import dev.logpipe.runtime.JoinHandle;
import dev.logpipe.runtime.Runtime;
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

/**
 * The journal writer: one thread ({@value JournalWriter#THREAD_NAME}) that takes
 * {@link AppendRequest}s from the ingest channel in batches and appends them to a Chronicle Queue
 * in its directory, with syncs to disk on the runtime's blocking pool by policy, a durable
 * watermark, segment rotation, and retention.
 *
 * <p>Lifecycle: {@link #builder}, {@link #start} with the receiving end of the ingest channel, then
 * the writer runs until the channel reaches end of stream: all senders closed (or the receiver
 * closed by {@link #close}, a shutdown signal, or a disk error), and drained. Then it runs a final
 * sync, closes the queue, releases the directory lock and completes {@link #terminated()}.
 *
 * <p>A full file system is backpressure, not failure: before each batch the writer checks that the
 * file system holds it plus {@link Builder#minFreeBytes} and, if not, pauses ({@link JournalState#PAUSED}):
 * it takes nothing more from the channel, keeps what it holds, re-checks every
 * {@link Builder#spaceCheckInterval} and resumes by itself, in order. Other I/O errors stop the
 * journal ({@link JournalState#FAILED}).
 *
 * <p>Guarantees: records are stored in the order received from the channel, each exactly once.
 * <em>Written</em> (an index from a receipt, or {@link #writtenIndex()}) survives a crash of the
 * process; <em>durable</em> ({@link #durableWatermark()}, {@link #whenDurable}) survives a crash
 * of the machine.
 *
 * <p>Threading: thread-safe. {@link #close()} blocks and must not be called on a runtime worker or
 * an event loop.
 *
 * <p>Example:
 * <pre>{@code
 * Mpsc.Channel<AppendRequest> ch = Mpsc.weighted(64 << 20, AppendRequest::weight);
 * FileSink sink = FileSink.builder(Path.of("data")).runtime(runtime).syncInterval(Duration.ofMillis(100)).build();
 * sink.start(ch.receiver());
 * AppendRequest req = AppendRequest.withReceipt(record);
 * ch.sender().blockingSend(req);
 * long index = req.written().thenCompose(sink::whenDurable).toCompletableFuture().join();
 * }</pre>
 */
public final class FileSink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FileSink.class);
    /** The default of {@link Builder#minFreeBytes}. */
    public static final long DEFAULT_MIN_FREE_BYTES = 16L << 20;

    private enum State { NEW, RUNNING, STOPPED }

    private final Path dir;
    private final Runtime runtime;
    private final boolean ownRuntime;
    private final SyncPolicy syncPolicy;
    private final RollCycle wantedRollCycle;
    private final RetentionPolicy retention;
    private final Duration retentionCheckInterval;
    private final int batchSize;
    private final boolean prefaultPages;
    private final FileStore fileStore;
    private final long minFreeBytes;
    private final Duration spaceCheckInterval;
    private final Clock clock;
    private final SinkListener listener;
    private final BroadcastReceiver<?> shutdownSignal;

    private final WriterCounters counters = new WriterCounters();
    /** For {@link #requestSync}; set once by {@link #start}, null under "sync never". */
    private volatile SyncCoordinator sync;
    private final DurabilityWaiters waiters = new DurabilityWaiters();
    private final WatchSender<Long> watermarkSender;
    private final WatchReceiver<Long> watermarkKeep;
    private final WatchSender<Segment> segmentSender;
    private final WatchReceiver<Segment> segmentKeep;
    private final CompletableFuture<WriterReport> terminated = new CompletableFuture<>();
    private final AtomicBoolean retentionRunning = new AtomicBoolean();

    private final Object lifecycle = new Object();
    private State state = State.NEW;
    private MpscReceiver<AppendRequest> input;
    private RollCycle rollCycle;
    private JournalWriter writer;
    private RetentionTask retentionTask;
    private SingleChronicleQueue queue;
    /** The damaged end of the last segment found at start, or null. */
    private SegmentTails.Tail damagedTail;
    private final List<JoinHandle<Void>> timers = new ArrayList<>();

    private FileSink(Builder b) {
        this.dir = b.dir;
        this.ownRuntime = b.runtime == null;
        this.runtime = ownRuntime
                ? Runtime.builder().workerThreads(1).maxBlockingThreads(4).threadNamePrefix("logpipe-sink").build()
                : b.runtime;
        this.syncPolicy = b.syncPolicy;
        this.wantedRollCycle = b.rollCycle;
        this.retention = new RetentionPolicy(b.retentionMaxAge, b.retentionMaxBytes, b.retentionHardMaxBytes);
        this.retentionCheckInterval = b.retentionCheckInterval;
        this.batchSize = b.batchSize;
        this.prefaultPages = b.prefaultPages;
        this.fileStore = b.fileStore;
        this.minFreeBytes = b.minFreeBytes;
        this.spaceCheckInterval = b.spaceCheckInterval;
        this.clock = b.clock;
        this.listener = SafeListener.wrap(b.listener);
        this.shutdownSignal = b.shutdownSignal;
        Watch.Channel<Long> wm = Watch.channel(-1L);
        this.watermarkSender = wm.sender();
        this.watermarkKeep = wm.receiver();
        Watch.Channel<Segment> seg = Watch.channel(Segment.NONE);
        this.segmentSender = seg.sender();
        this.segmentKeep = seg.receiver();
    }

    /** A builder for a journal in directory {@code dir} (created if absent). */
    public static Builder builder(Path dir) {
        return new Builder(dir);
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
            JournalWriter[] w = new JournalWriter[1];
            SyncCoordinator sync = new SyncCoordinator(dir, rollCycle, runtime, counters, listener, watermarkSender,
                    waiters, t -> w[0].failFromSync(t), syncPolicy.syncsWhileRunning());
            this.retentionTask = new RetentionTask(dir, rollCycle, retention, clock,
                    () -> w[0].currentCycle(), listener, counters, queue::refreshDirectoryListing,
                    s -> SegmentSizes.usedBytes(queue, s));
            w[0] = new JournalWriter(dir, rollCycle, queue, input, runtime, counters, sync, listener, segmentSender,
                    AppendRequest::receipt, batchSize, syncPolicy, this::requestRetention,
                    prefaultPages ? PagePrefaulter.forThisOs(runtime) : null,
                    new SpaceGuard(dir, store, minFreeBytes, spaceCheckInterval, counters, this::requestRetention));
            this.writer = w[0];
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
            return JournalQueues.openForWrite(dir, rollCycle, new ClockTimeProvider(clock, floor));
        } catch (RuntimeException | InternalError e) {
            if (!java.nio.file.Files.isRegularFile(meta)) {
                throw e;
            }
            moveAside(meta, e.toString());
            return JournalQueues.openForWrite(dir, rollCycle, new ClockTimeProvider(clock, floor));
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
            JournalWriteException failure = writer.failure();
            if (error == null) {
                error = failure;
            }
            JournalWriteException stop = failure != null ? failure
                    : new JournalWriteException("the journal writer stopped before this index was written", null);
            DurabilityWaiters.Release failed = waiters.failRemaining(stop);
            if (failed != null) {
                failed.run();
            }
            WriterReport report = new WriterReport(counters.writtenRecords(), counters.writtenBytes(),
                    counters.failedRecords(), counters.writtenIndex(), durable, counters.syncs(), error,
                    counters.abandonedRecords());
            synchronized (lifecycle) {
                state = State.STOPPED;
            }
            LOG.info("journal writer stopped: {} records, {} bytes written, last index {}, durable {}, {} failed,"
                    + " {} abandoned", report.writtenRecords(), report.writtenBytes(), report.lastIndex(),
                    report.durableIndex(), report.failedRecords(), report.abandonedRecords());
            if (ownRuntime) {
                runtime.shutdown(Duration.ofSeconds(5));
            }
            terminated.complete(report);
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
     * {@link #start}, or under {@link Builder#syncNever()} (which promises no sync while running).
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

    /**
     * Builds a {@link FileSink}. Defaults: sync every 100 ms, roll {@link RollCycle#HOURLY}, batches of
     * up to 1024 records, no retention limits, the system UTC clock, a private small runtime.
     *
     * <p>Threading: confined.
     */
    public static final class Builder {
        private final Path dir;
        private Runtime runtime;
        private SyncPolicy syncPolicy = SyncPolicy.DEFAULT;
        private RollCycle rollCycle = RollCycle.HOURLY;
        private Duration retentionMaxAge;
        private long retentionMaxBytes;
        private long retentionHardMaxBytes;
        private Duration retentionCheckInterval = Duration.ofMinutes(1);
        private int batchSize = 1024;
        private boolean prefaultPages = Boolean.parseBoolean(System.getProperty("logpipe.prefault", "true"));
        private FileStore fileStore;
        private long minFreeBytes = DEFAULT_MIN_FREE_BYTES;
        private Duration spaceCheckInterval = Duration.ofSeconds(1);
        private Clock clock = Clock.systemUTC();
        private SinkListener listener = SinkListener.NOOP;
        private BroadcastReceiver<?> shutdownSignal;

        private Builder(Path dir) {
            this.dir = Objects.requireNonNull(dir, "dir");
        }

        /** The runtime whose blocking pool runs syncs and retention and whose workers complete futures. */
        public Builder runtime(Runtime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /** When to sync (default {@link SyncPolicy#DEFAULT}: every 100 ms); the last call of the sync methods wins. */
        public Builder syncPolicy(SyncPolicy policy) {
            this.syncPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** {@link SyncPolicy#every}: sync at this interval when something was written since the last sync. */
        public Builder syncInterval(Duration interval) {
            return syncPolicy(SyncPolicy.every(interval));
        }

        /** {@link SyncPolicy#everyBytes(long)}: sync once this many bytes were appended, the rest after 100 ms. */
        public Builder syncEveryBytes(long bytes) {
            return syncPolicy(SyncPolicy.everyBytes(bytes));
        }

        /** {@link SyncPolicy#everyBatch}: sync after every writer batch (syncs coalesce: at most one runs, one more may follow). */
        public Builder syncEveryBatch() {
            return syncPolicy(SyncPolicy.everyBatch());
        }

        /**
         * {@link SyncPolicy#never}: never sync while running (the OS writes pages back when it likes);
         * the writer still runs one sync when it stops.
         */
        public Builder syncNever() {
            return syncPolicy(SyncPolicy.never());
        }

        /** The roll cycle of a new journal (an existing one keeps its own). */
        public Builder rollCycle(RollCycle cycle) {
            this.rollCycle = Objects.requireNonNull(cycle, "cycle");
            return this;
        }

        /** Delete closed segments whose cycle ended longer ago than this (named readers permitting). */
        public Builder retentionMaxAge(Duration maxAge) {
            if (maxAge.isNegative()) {
                throw new IllegalArgumentException("retention age must be >= 0, was " + maxAge);
            }
            this.retentionMaxAge = maxAge;
            return this;
        }

        /** Delete the oldest closed segments while the journal is larger than this (named readers permitting). */
        public Builder retentionMaxBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("retention bytes must be >= 0, was " + bytes);
            }
            this.retentionMaxBytes = bytes;
            return this;
        }

        /** Delete the oldest closed segments while the journal is larger than this, even unread ones. */
        public Builder retentionHardMaxBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("hard retention bytes must be >= 0, was " + bytes);
            }
            this.retentionHardMaxBytes = bytes;
            return this;
        }

        /** How often retention runs besides after each roll (default 1 minute). */
        public Builder retentionCheckInterval(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("retention check interval must be > 0, was " + interval);
            }
            this.retentionCheckInterval = interval;
            return this;
        }

        /** The most records the writer takes from the channel at once (default 1024). */
        public Builder batchSize(int records) {
            if (records < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, was " + records);
            }
            this.batchSize = records;
            return this;
        }

        /**
         * Fault in the segment's pages ahead of the writer on the blocking pool while it is busy
         * (batches at least half full), with Linux 5.14+ {@code MADV_POPULATE_WRITE}, so that it does
         * not take a page fault per 4 KiB; off by itself where unsupported. Off: the writer faults its
         * pages in itself.
         * The default is the system property {@code logpipe.prefault} ({@code true} when unset), so
         * that {@code JAVA_OPTS=-Dlogpipe.prefault=false} turns it off for {@code logpipe serve}.
         */
        public Builder prefaultPages(boolean on) {
            this.prefaultPages = on;
            return this;
        }

        /**
         * Free bytes to keep on the journal's file system beyond each batch (default 16 MiB): when the
         * next batch would leave less, the writer pauses until there is room. It covers what a batch costs
         * beyond its records (index pages, a new segment's header, prefaulted pages); 0 checks the batch alone.
         */
        public Builder minFreeBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("min free bytes must be >= 0, was " + bytes);
            }
            this.minFreeBytes = bytes;
            return this;
        }

        /**
         * How often a writer paused for lack of space reads the free space again (default 1 s); while it
         * writes it reads it at most every 100 ms, or every this interval if shorter.
         */
        public Builder spaceCheckInterval(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("space check interval must be > 0, was " + interval);
            }
            this.spaceCheckInterval = interval;
            return this;
        }

        /**
         * The file system whose usable space the writer checks (default: the one holding the
         * directory, {@link Files#getFileStore}); tests pass a fake to drive the pause.
         */
        public Builder fileStore(FileStore store) {
            this.fileStore = Objects.requireNonNull(store, "store");
            return this;
        }

        /** The clock that decides segment rolls and retention age (tests inject one to cross a roll). */
        public Builder timeProvider(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The listener for metrics hooks. */
        public Builder listener(SinkListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** A shutdown broadcast: when a value (or close) arrives, the sink stops taking new records and drains. */
        public Builder shutdownSignal(BroadcastReceiver<?> signal) {
            this.shutdownSignal = Objects.requireNonNull(signal, "signal");
            return this;
        }

        /** Builds the sink; nothing is opened until {@link FileSink#start}. */
        public FileSink build() {
            return new FileSink(this);
        }
    }
}
