package dev.logpipe.filesink;

import dev.logpipe.channels.BroadcastReceiver;
import dev.logpipe.channels.MpscReceiver;
import dev.logpipe.channels.WatchReceiver;
import dev.logpipe.filesink.internal.retention.RetentionPolicy;
import dev.logpipe.filesink.internal.writer.JournalSink;
import dev.logpipe.filesink.internal.writer.JournalWriter;
import dev.logpipe.filesink.internal.writer.SinkConfig;
import dev.logpipe.runtime.Runtime;

import java.nio.file.FileStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

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

    /** The default of {@link Builder#minFreeBytes}. */
    public static final long DEFAULT_MIN_FREE_BYTES = 16L << 20;

    private final JournalSink sink;

    private FileSink(SinkConfig config) {
        this.sink = new JournalSink(config, AppendRequest::receipt);
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
        sink.start(input);
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
        sink.requestSync();
    }

    /** The journal directory. */
    public Path directory() {
        return sink.directory();
    }

    /**
     * A new receiver of the durable watermark: the highest index known to be on disk, -1 before any.
     * Each call subscribes a new receiver (receivers are confined to their user).
     */
    public WatchReceiver<Long> durableWatermark() {
        return sink.durableWatermark();
    }

    /** A new receiver of the current segment; {@link Segment#NONE} until the writer has one. */
    public WatchReceiver<Segment> segments() {
        return sink.segments();
    }

    /** The highest index appended (written), -1 if none. */
    public long writtenIndex() {
        return sink.writtenIndex();
    }

    /**
     * A stage that completes with {@code index} once it is durable. It completes on a runtime
     * worker thread (or at once on the caller's if already durable), or exceptionally with
     * {@link JournalWriteException} if the writer stopped first. Callbacks must not block.
     */
    public CompletionStage<Long> whenDurable(long index) {
        return sink.whenDurable(index);
    }

    /** Completes with the writer's report when it has stopped (never exceptionally). */
    public CompletionStage<WriterReport> terminated() {
        return sink.terminated();
    }

    /** A snapshot of the counters. */
    public SinkStats stats() {
        return sink.stats();
    }

    /** Whether the journal can store records now ({@link JournalState#STARTING} before {@link #start}). */
    public JournalState journalState() {
        return sink.journalState();
    }

    /**
     * Stops storing, for a shutdown that ran out of time: closes the input (senders get
     * {@code Closed} with their record back), and the writer fails what it holds and what is still
     * in the channel (their receipts complete exceptionally; counted in
     * {@link SinkStats#abandonedRecords()}), wakes up if it was paused for lack of space, syncs what
     * it wrote and ends. Returns at once; wait on {@link #terminated()}. No-op before {@link #start}.
     */
    public void abandon() {
        sink.abandon();
    }

    /**
     * Runs one retention pass now on the blocking pool (it also runs after every roll and every
     * retention check interval). Completes with the number of segments deleted.
     *
     * @throws IllegalStateException before {@link #start}
     */
    public CompletionStage<Integer> runRetention() {
        return sink.runRetention();
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
        sink.close();
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
            return new FileSink(new SinkConfig(dir, runtime, syncPolicy, rollCycle,
                    new RetentionPolicy(retentionMaxAge, retentionMaxBytes, retentionHardMaxBytes),
                    retentionCheckInterval, batchSize, prefaultPages, fileStore, minFreeBytes, spaceCheckInterval,
                    clock, listener, shutdownSignal));
        }
    }
}
