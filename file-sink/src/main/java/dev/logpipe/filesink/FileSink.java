package dev.logpipe.filesink;

import dev.logpipe.channels.BroadcastReceiver;
import dev.logpipe.channels.MpscReceiver;
import dev.logpipe.channels.WatchReceiver;
import dev.logpipe.filesink.internal.retention.RetentionPolicy;
import dev.logpipe.filesink.internal.writer.JournalSink;
import dev.logpipe.filesink.internal.writer.JournalWriter;
import dev.logpipe.filesink.internal.writer.PagePrefaulter;
import dev.logpipe.filesink.internal.writer.SinkConfig;
import dev.logpipe.runtime.TaskRuntime;

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
 * sync, closes the queue, releases the directory lock, sees every receipt of what it took completed
 * (written, durable or failed) and then completes {@link #terminated()}.
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

    private final JournalSink sink;

    private FileSink(SinkConfig config) {
        this.sink = new JournalSink(config, AppendRequest::receipt, AppendRequest::encodedBody);
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

    /**
     * Completes with the writer's report when it has stopped (never exceptionally); by then every
     * receipt of a record the writer took is complete. (Only a callback that holds a runtime worker
     * for over 10 s can delay receipts past it; the writer logs a warning then.)
     */
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
     * The journal's roll cycle: after {@link #start}, the one it was created with (an existing journal
     * keeps it, whatever {@link Builder#rollCycle} asked, and logs a warning); before, the one asked for.
     */
    public RollCycle rollCycle() {
        return sink.rollCycle();
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
     * Builds a {@link FileSink}: where the journal lives, the runtime and the listener, plus its
     * {@link JournalSettings} (whole with {@link #settings}, or one at a time with the shortcuts below;
     * defaults as there). Without a runtime the sink makes a private small one.
     *
     * <p>Threading: confined.
     */
    public static final class Builder {
        private final Path dir;
        private TaskRuntime runtime;
        private JournalSettings.Builder settings = JournalSettings.builder();
        private SinkListener listener = SinkListener.NOOP;
        private BroadcastReceiver<?> shutdownSignal;
        private dev.logpipe.filesink.internal.queue.Madvise madvise;
        private boolean quiet;

        private Builder(Path dir) {
            this.dir = Objects.requireNonNull(dir, "dir");
        }

        /** The runtime whose blocking pool runs syncs and retention and whose workers complete futures. */
        public Builder runtime(TaskRuntime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /**
         * Every journal setting at once (replacing what the setters below set before); the setters
         * that follow change this copy.
         */
        public Builder settings(JournalSettings journal) {
            this.settings = journal.toBuilder();
            return this;
        }

        /** {@link JournalSettings.Builder#syncPolicy}. */
        public Builder syncPolicy(SyncPolicy policy) {
            settings.syncPolicy(policy);
            return this;
        }

        /** {@link JournalSettings.Builder#syncInterval}. */
        public Builder syncInterval(Duration interval) {
            settings.syncInterval(interval);
            return this;
        }

        /** {@link JournalSettings.Builder#syncEveryBytes}. */
        public Builder syncEveryBytes(long bytes) {
            settings.syncEveryBytes(bytes);
            return this;
        }

        /** {@link JournalSettings.Builder#syncEveryBatch}. */
        public Builder syncEveryBatch() {
            settings.syncEveryBatch();
            return this;
        }

        /** {@link JournalSettings.Builder#syncNever}. */
        public Builder syncNever() {
            settings.syncNever();
            return this;
        }

        /** {@link JournalSettings.Builder#rollCycle}. */
        public Builder rollCycle(RollCycle cycle) {
            settings.rollCycle(cycle);
            return this;
        }

        /** {@link JournalSettings.Builder#retentionMaxAge}. */
        public Builder retentionMaxAge(Duration maxAge) {
            settings.retentionMaxAge(maxAge);
            return this;
        }

        /** {@link JournalSettings.Builder#retentionMaxBytes}. */
        public Builder retentionMaxBytes(long bytes) {
            settings.retentionMaxBytes(bytes);
            return this;
        }

        /** {@link JournalSettings.Builder#retentionHardMaxBytes}. */
        public Builder retentionHardMaxBytes(long bytes) {
            settings.retentionHardMaxBytes(bytes);
            return this;
        }

        /** {@link JournalSettings.Builder#retentionCheckInterval}. */
        public Builder retentionCheckInterval(Duration interval) {
            settings.retentionCheckInterval(interval);
            return this;
        }

        /** {@link JournalSettings.Builder#batchSize}. */
        public Builder batchSize(int records) {
            settings.batchSize(records);
            return this;
        }

        /** {@link JournalSettings.Builder#prefaultPages}. */
        public Builder prefaultPages(boolean on) {
            settings.prefaultPages(on);
            return this;
        }

        /** {@link JournalSettings.Builder#minFreeBytes}. */
        public Builder minFreeBytes(long bytes) {
            settings.minFreeBytes(bytes);
            return this;
        }

        /** {@link JournalSettings.Builder#spaceCheckInterval}. */
        public Builder spaceCheckInterval(Duration interval) {
            settings.spaceCheckInterval(interval);
            return this;
        }

        /** {@link JournalSettings.Builder#fileStore}. */
        public Builder fileStore(FileStore store) {
            settings.fileStore(store);
            return this;
        }

        /** {@link JournalSettings.Builder#clock}. */
        public Builder timeProvider(Clock clock) {
            settings.clock(clock);
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

        /**
         * Logs the writer's stop summary at debug instead of info: for a journal the operator does not
         * look after, such as the one a JIT warm-up writes and deletes (default false).
         */
        public Builder quiet(boolean quiet) {
            this.quiet = quiet;
            return this;
        }

        /** Tests: the page prefaulter's system call, to see which advice the writer asks for. */
        Builder madvise(dev.logpipe.filesink.internal.queue.Madvise madvise) {
            this.madvise = madvise;
            return this;
        }

        /** Builds the sink; nothing is opened until {@link FileSink#start}. */
        public FileSink build() {
            JournalSettings j = settings.build();
            return new FileSink(new SinkConfig(dir, runtime, j.syncPolicy(), j.rollCycle(),
                    new RetentionPolicy(j.retentionMaxAge(), j.retentionMaxBytes(), j.retentionHardMaxBytes()),
                    j.retentionCheckInterval(), j.batchSize(), j.prefaultPages(), j.fileStore(), j.minFreeBytes(),
                    j.spaceCheckInterval(), j.clock(), j.maxRecordBytes(), listener, shutdownSignal, madvise, quiet));
        }
    }
}
