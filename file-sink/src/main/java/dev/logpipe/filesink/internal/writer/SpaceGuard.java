package dev.logpipe.filesink.internal.writer;

import dev.logpipe.filesink.JournalState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The journal writer's free-space check: before the writer takes from the channel it asks
 * {@link #awaitRoom} whether the file system holds the reserve, and before it appends a batch
 * whether it holds the batch plus the reserve. If not, the writer pauses there (holding the batch,
 * if any) and takes nothing more from the channel, so that backpressure reaches the producers; it
 * re-checks every {@code recheckInterval} and returns once there is room.
 *
 * <p>Why before, not after: Chronicle appends into memory-mapped segments, and a store to a mapped
 * page that the file system cannot back raises SIGBUS, which the JVM turns into an
 * {@code InternalError} in the middle of a record (or a crash). Checking {@link FileStore#getUsableSpace}
 * first turns "disk full" into a pause. The reserve covers what a batch costs beyond its records:
 * Chronicle's index pages, a new segment's header, the pages the prefaulter touches ahead.
 *
 * <p>The free space is read at most once per 100 ms (or per re-check interval, if shorter) while it
 * is ample: between reads the writer spends from a budget (free minus reserve) and reads again
 * before the budget would go below what a batch needs.
 *
 * <p>One WARN per pause episode (free and needed bytes, what to do) and one INFO when it ends.
 *
 * <p>Threading: {@link #awaitRoom} runs on the writer thread only; {@link #wake} from any thread.
 */
public final class SpaceGuard {

    private static final Logger LOG = LoggerFactory.getLogger(SpaceGuard.class);
    /** Chronicle's per-excerpt header and slack for the encoded size beyond the record's estimate. */
    static final long PER_RECORD_OVERHEAD = 16;
    private static final long STAT_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** Why {@link #awaitRoom} returned without room. */
    public enum Outcome { ROOM, WOKEN }

    private final Path dir;
    private final FileStore store;
    private final long reserveBytes;
    private final long recheckNanos;
    private final long statEveryNanos;
    private final WriterCounters counters;
    private final Runnable onPause;
    private final Semaphore wakeUp = new Semaphore(0);

    // writer thread only
    private long budget;
    private long lastStatNanos;
    private boolean statted;

    /**
     * @param store the file system of {@code dir} (a fake in tests)
     * @param reserveBytes free bytes to keep beyond each batch
     * @param recheckInterval how often a paused writer reads the free space again
     * @param onPause run once when a pause begins (retention, so that a size limit can free space)
     */
    public SpaceGuard(Path dir, FileStore store, long reserveBytes, Duration recheckInterval, WriterCounters counters,
                      Runnable onPause) {
        this.dir = dir;
        this.store = store;
        this.reserveBytes = reserveBytes;
        this.recheckNanos = Math.max(1, recheckInterval.toNanos());
        this.statEveryNanos = Math.min(STAT_EVERY_NANOS, recheckNanos);
        this.counters = counters;
        this.onPause = onPause;
    }

    /** The bytes a batch may take in the journal whose records' size estimates ({@code LogRecord.estimatedBytes}) sum to {@code weightSum}. */
    public static long bytesFor(long weightSum, int records) {
        return weightSum + PER_RECORD_OVERHEAD * records;
    }

    /**
     * Writer thread: returns {@link Outcome#ROOM} once the file system holds {@code batchBytes}
     * plus the reserve (at once, usually), or {@link Outcome#WOKEN} if {@link #wake} asked it to
     * give up first ({@code stop} then says so).
     *
     * @param stop checked after every wake-up; true ends the wait without room
     * @throws IOException if the free space cannot be read: a real I/O error, not lack of space
     */
    public Outcome awaitRoom(long batchBytes, BooleanSupplier stop, Runnable onInterrupt)
            throws IOException {
        long now = System.nanoTime();
        if (statted && batchBytes <= budget && now - lastStatNanos < statEveryNanos) {
            budget -= batchBytes;
            return Outcome.ROOM;
        }
        long usable = stat(now);
        if (usable - reserveBytes >= batchBytes) {
            budget = usable - reserveBytes - batchBytes;
            return Outcome.ROOM;
        }
        // Paused: keep the batch, take nothing more, re-check on a timer.
        long since = System.nanoTime();
        counters.pausedSinceNanos = since;
        counters.state = JournalState.PAUSED;
        counters.pauses++;
        LOG.warn("journal paused: {} has {} free, {}a reserve of {}; records wait in memory and senders are slowed"
                        + " down, nothing is dropped. Free space on that file system (delete files, grow the volume, set"
                        + " a size retention, or lower --min-free) and the journal resumes by itself",
                dir, bytes(usable), batchBytes > 0 ? "the next batch needs " + bytes(batchBytes) + " plus " : "less than ",
                bytes(reserveBytes));
        onPause.run();
        try {
            while (true) {
                try {
                    wakeUp.tryAcquire(recheckNanos, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    // an interrupt asks the writer to stop taking new records; what it holds still waits for room
                    onInterrupt.run();
                }
                wakeUp.drainPermits();
                if (stop.getAsBoolean()) {
                    return Outcome.WOKEN;
                }
                usable = stat(System.nanoTime());
                if (usable - reserveBytes >= batchBytes) {
                    budget = usable - reserveBytes - batchBytes;
                    LOG.info("journal writable again after {} ms: {} has {} free",
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since), dir, bytes(usable));
                    return Outcome.ROOM;
                }
            }
        } finally {
            counters.pausedNanos += System.nanoTime() - since;
            if (counters.state == JournalState.PAUSED) {
                counters.state = JournalState.WRITABLE;
            }
        }
    }

    /** Any thread: a paused writer re-checks its stop condition now instead of at the next tick. */
    public void wake() {
        wakeUp.release();
    }

    private long stat(long now) throws IOException {
        long usable = store.getUsableSpace();
        lastStatNanos = now;
        statted = true;
        return usable;
    }

    private static String bytes(long n) {
        if (n < 10L << 10) {
            return n + " B";
        }
        if (n < 10L << 20) {
            return (n >> 10) + " KiB";
        }
        return (n >> 20) + " MiB";
    }
}
