package dev.logpipe.filesink;

import java.nio.file.FileStore;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How a journal is written: when it syncs, how it rolls and what retention deletes, how the writer
 * batches, and when it pauses for lack of space. The one configuration of a journal, taken whole by
 * {@link FileSink.Builder#settings} and by the embedded pipeline ({@code LogPipeline.Builder.journal}),
 * whose own journal setters are shortcuts into the same builder. Where the journal lives, the runtime
 * and the listener are not settings: the owner of the sink supplies them.
 *
 * <p>Defaults: sync every 100 ms ({@link SyncPolicy#DEFAULT}), roll {@link RollCycle#HOURLY} (a new
 * journal; an existing one keeps its own), no retention limits, retention checked every minute,
 * batches of up to 1024 records, pages prefaulted (system property {@code logpipe.prefault}, true when
 * unset), 16 MiB kept free, free space checked every second, the system UTC clock, records of up
 * to 4 MiB encoded ({@link Builder#maxRecordBytes}).
 *
 * <p>Threading: immutable, thread-safe; its {@link Builder} is confined.
 */
public final class JournalSettings {

    /** Free bytes the writer keeps on the journal's file system by default (16 MiB). */
    public static final long DEFAULT_MIN_FREE_BYTES = 16L << 20;

    /** The largest encoded record a journal takes by default (4 MiB). */
    public static final int DEFAULT_MAX_RECORD_BYTES = 4 << 20;

    /** The largest {@link Builder#maxRecordBytes} accepted (1 GiB). */
    public static final int MAX_MAX_RECORD_BYTES = 1 << 30;

    /** Room Chronicle's excerpt header and a record's own framing take beyond the record's bytes. */
    private static final long EXCERPT_MARGIN = 64L << 10;

    private final SyncPolicy syncPolicy;
    private final RollCycle rollCycle;
    private final Duration retentionMaxAge;
    private final long retentionMaxBytes;
    private final long retentionHardMaxBytes;
    private final Duration retentionCheckInterval;
    private final int batchSize;
    private final boolean prefaultPages;
    private final FileStore fileStore;
    private final long minFreeBytes;
    private final Duration spaceCheckInterval;
    private final Clock clock;
    private final int maxRecordBytes;

    private JournalSettings(Builder b) {
        this.syncPolicy = b.syncPolicy;
        this.rollCycle = b.rollCycle;
        this.retentionMaxAge = b.retentionMaxAge;
        this.retentionMaxBytes = b.retentionMaxBytes;
        this.retentionHardMaxBytes = b.retentionHardMaxBytes;
        this.retentionCheckInterval = b.retentionCheckInterval;
        this.batchSize = b.batchSize;
        this.prefaultPages = b.prefaultPages;
        this.fileStore = b.fileStore;
        this.minFreeBytes = b.minFreeBytes;
        this.spaceCheckInterval = b.spaceCheckInterval;
        this.clock = b.clock;
        this.maxRecordBytes = b.maxRecordBytes;
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The defaults. */
    public static JournalSettings defaults() {
        return builder().build();
    }

    /** A builder holding these settings, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.syncPolicy = syncPolicy;
        b.rollCycle = rollCycle;
        b.retentionMaxAge = retentionMaxAge;
        b.retentionMaxBytes = retentionMaxBytes;
        b.retentionHardMaxBytes = retentionHardMaxBytes;
        b.retentionCheckInterval = retentionCheckInterval;
        b.batchSize = batchSize;
        b.prefaultPages = prefaultPages;
        b.fileStore = fileStore;
        b.minFreeBytes = minFreeBytes;
        b.spaceCheckInterval = spaceCheckInterval;
        b.clock = clock;
        b.maxRecordBytes = maxRecordBytes;
        return b;
    }

    public SyncPolicy syncPolicy() {
        return syncPolicy;
    }

    /** The roll cycle of a new journal. */
    public RollCycle rollCycle() {
        return rollCycle;
    }

    /** Closed segments whose cycle ended longer ago than this are deleted; null: no age limit. */
    public Duration retentionMaxAge() {
        return retentionMaxAge;
    }

    /** The journal size retention keeps to (named readers permitting); 0: no limit. */
    public long retentionMaxBytes() {
        return retentionMaxBytes;
    }

    /** The journal size retention keeps to even over unread segments; 0: no limit. */
    public long retentionHardMaxBytes() {
        return retentionHardMaxBytes;
    }

    public Duration retentionCheckInterval() {
        return retentionCheckInterval;
    }

    public int batchSize() {
        return batchSize;
    }

    public boolean prefaultPages() {
        return prefaultPages;
    }

    /** The file system whose free space is checked; null: the one holding the journal. */
    public FileStore fileStore() {
        return fileStore;
    }

    public long minFreeBytes() {
        return minFreeBytes;
    }

    public Duration spaceCheckInterval() {
        return spaceCheckInterval;
    }

    /** The clock that decides segment rolls and retention age. */
    public Clock clock() {
        return clock;
    }

    /** The largest encoded record the writer appends; a larger one is refused alone (see {@link Builder#maxRecordBytes}). */
    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /**
     * The size of the pieces Chronicle maps a segment file in: four times the largest record plus
     * room for its header, in whole MiB, and at least 16 MiB. Chronicle takes an excerpt of up to a
     * quarter of this; the writer's mapped (resident) pages are about one such piece and the segment's
     * first (its header and index), so it is kept no larger than the records need.
     */
    public long chunkBytes() {
        return chunkBytesFor(maxRecordBytes);
    }

    /** {@link #chunkBytes()} for a journal whose largest record is {@code maxRecordBytes}. */
    public static long chunkBytesFor(long maxRecordBytes) {
        long mib = 1L << 20;
        long quarter = (maxRecordBytes + EXCERPT_MARGIN + mib - 1) / mib * mib;
        return Math.max(16 * mib, 4 * quarter);
    }

    @Override
    public String toString() {
        return "JournalSettings{sync=" + syncPolicy + ", roll=" + rollCycle + ", retentionMaxAge=" + retentionMaxAge
                + ", retentionMaxBytes=" + retentionMaxBytes + ", retentionHardMaxBytes=" + retentionHardMaxBytes
                + ", batchSize=" + batchSize + ", minFreeBytes=" + minFreeBytes + ", maxRecordBytes=" + maxRecordBytes + "}";
    }

    /**
     * Builds {@link JournalSettings}; each setter checks its value at once.
     *
     * <p>Threading: confined.
     */
    public static final class Builder {
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
        private int maxRecordBytes = DEFAULT_MAX_RECORD_BYTES;

        private Builder() {
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
         * the writer still runs one sync when it stops, and durable receipts complete then.
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
         * pages in itself. With it, each sync drops the segment's pages 64 MiB and more behind what it
         * covered from the page cache ({@code posix_fadvise(DONTNEED)}), so that new pages reuse freed
         * ones.
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
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The largest record the journal takes, in encoded bytes (default 4 MiB; at most 1 GiB): about
         * the UTF-8 size of its message, fields and names plus 40 bytes. The writer refuses a larger
         * record alone: its receipt fails with {@link RecordTooLargeException}, it is counted
         * ({@link SinkStats#oversizeRecords()}), and the records around it are stored. Larger values map
         * the journal in larger pieces (four times this), so the writer keeps more of it resident.
         */
        public Builder maxRecordBytes(int bytes) {
            if (bytes < 1024 || bytes > MAX_MAX_RECORD_BYTES) {
                throw new IllegalArgumentException("max record bytes must be between 1024 and " + MAX_MAX_RECORD_BYTES
                        + ", was " + bytes);
            }
            this.maxRecordBytes = bytes;
            return this;
        }

        /** The settings as they are now; the builder may be changed and built again. */
        public JournalSettings build() {
            return new JournalSettings(this);
        }
    }
}
