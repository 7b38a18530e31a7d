package dev.logpipe.filesink.internal.writer;

import dev.logpipe.runtime.TaskRuntime;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytesStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Faults in the pages of the segment mapping just ahead of the writer, on the runtime's blocking
 * pool, with {@code madvise(MADV_POPULATE_WRITE)} (Linux 5.14+), so that the writer's stores find
 * them mapped instead of taking a page fault each.
 *
 * <p>Why: Chronicle Queue appends through a shared mapping of a sparse file; the first store to each
 * 4 KiB faults, and the kernel allocates, zeroes and maps a page-cache page inside that fault, on
 * the writer thread, the largest single item of its per-record cost (see {@code bench/RESULTS.md}).
 * Populating from another thread moves that work off the one thread every record goes through.
 * Filling only the page cache (reading the file ahead, or touching it through a second mapping)
 * would leave the fault itself on the writer; populating the writer's own mapping removes it.
 *
 * <p>Safety: {@code MADV_POPULATE_WRITE} prefaults as a write would but writes nothing, so it cannot
 * change a byte of the journal; pages ahead of the writer are zero and stay zero until it writes
 * them, and a reader stops at the first zero header as it does at a hole. The range is always
 * inside the chunk the writer is using when it is chosen; if Chronicle has unmapped that chunk before
 * the call runs, the kernel answers ENOMEM and nothing happens (counted, not fatal). A failure
 * before any success (an older kernel without the advice, another OS, no native access) switches
 * the prefaulter off for good, logged once; an exception while choosing a range does too. It is an
 * optimisation, never a reason to stop storing records.
 *
 * <p>Cost: the populated pages are dirty zeros, so a sync may write up to {@link #AHEAD} bytes of
 * zeros past the last record. That is why the writer asks only after batches at least half full: a
 * busy writer fills those pages before the next sync, an idle one would leave them to be written
 * twice. {@code MADV_POPULATE_READ} would leave the pages clean (shorter syncs) but fault again on
 * the writer's first store to each page.
 *
 * <p>Behind the writer it does the opposite, on the writer thread itself: pages more than
 * {@link #KEEP_BEHIND} behind the last record are dropped from the writer's mapping with
 * {@code madvise(MADV_DONTNEED)}, so that the segment's pages do not stay in the process's RSS while
 * Chronicle keeps a piece mapped (a segment's first piece stays mapped as long as the segment is
 * written: 20 MiB of RSS for the whole hour). Safe for a shared file mapping: the kernel moves each
 * page's dirty state to the page cache before it unmaps it, so a sync still writes it, and a later
 * access maps the same page again; nothing is read or written differently. The piece is reserved
 * around the call, so Chronicle cannot unmap it (and the address be reused) meanwhile; the first
 * {@link #KEEP_HEAD} of the file (the segment's header and first index) is never released. The
 * release goes with the prefaulting: off when it is turned off or has switched itself off.
 *
 * <p>Threading: {@link #afterBatch} on the writer thread only; one populate call in flight at a time
 * on a blocking-pool thread; the two share {@code running} and {@code disabled}.
 */
public final class PagePrefaulter {

    /** Linux {@code MADV_POPULATE_WRITE}. */
    static final int MADV_POPULATE_WRITE = 23;
    /** Bytes populated per call; a call is due when less than half of that is left ahead of the writer. */
    static final long AHEAD = 4L << 20;
    /** Linux {@code MADV_DONTNEED}. */
    static final int MADV_DONTNEED = 4;
    /** Pages this close behind the writer stay mapped (the next records' index updates touch them). */
    static final long KEEP_BEHIND = 2L << 20;
    /** Released in steps of at least this much. */
    static final long RELEASE_STEP = 2L << 20;
    /** The file's head: never released. */
    static final long KEEP_HEAD = 1L << 20;
    private static final net.openhft.chronicle.core.io.ReferenceOwner OWNER =
            net.openhft.chronicle.core.io.ReferenceOwner.temporary("logpipe-page-release");
    private static final long PAGE = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(PagePrefaulter.class);

    /** The system call, replaceable in tests: (address, length, advice) -> 0 or an error. */
    public interface Madvise {
        int madvise(long address, long length, int advice) throws Throwable;
    }

    private final TaskRuntime runtime;
    private final Madvise madvise;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong populatedBytes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean disabled;

    // writer thread only
    private BytesStore<?, ?> store;
    private long populatedUpTo;
    private long releasedUpTo;
    private final AtomicLong releasedBytes = new AtomicLong();

    public PagePrefaulter(TaskRuntime runtime, Madvise madvise) {
        this.runtime = runtime;
        this.madvise = madvise;
    }

    /**
     * A prefaulter calling the real {@code madvise} through Chronicle's posix binding (JNR), on
     * Linux. Elsewhere, or where that binding fell back to its no-op implementation (which answers 0
     * to everything), every call fails, so the prefaulter switches itself off on its first one.
     */
    public static PagePrefaulter forThisOs(TaskRuntime runtime) {
        return new PagePrefaulter(runtime, (a, l, adv) -> {
            net.openhft.posix.PosixAPI api = net.openhft.posix.PosixAPI.posix();
            if (!"Linux".equals(System.getProperty("os.name")) || api.getClass().getSimpleName().startsWith("NoOp")) {
                return -1;
            }
            return api.madvise(a, l, adv);
        });
    }

    /**
     * Called by the writer after a batch whose last record ended at file offset {@code end} of the
     * chunk {@code chunk} (the excerpt's bytes store).
     *
     * @return true if it submitted a populate call
     */
    public boolean afterBatch(BytesStore<?, ?> chunk, long end) {
        if (disabled || !(chunk instanceof MappedBytesStore m)) {
            return false;
        }
        try {
            return plan(m, end);
        } catch (RuntimeException e) {
            // never let the optimisation stop the writer (it calls this on its own thread)
            off(e.toString());
            return false;
        }
    }

    private boolean plan(MappedBytesStore m, long end) {
        if (m != store) { // a new chunk (or segment): start at the write position
            store = m;
            populatedUpTo = 0;
            releasedUpTo = 0;
        }
        releaseBehind(m, end);
        long from = Math.max(populatedUpTo, (end + PAGE - 1) & -PAGE);
        if (from - end >= AHEAD / 2 || running.get()) {
            return false;
        }
        long to = Math.min(from + AHEAD, m.safeLimit() & -PAGE);
        if (to <= from) {
            return false;
        }
        long address = m.addressForRead(from);
        long length = to - from;
        populatedUpTo = to;
        running.set(true);
        try {
            runtime.spawnBlocking(() -> populate(address, length));
            return true;
        } catch (RuntimeException e) {
            running.set(false); // the runtime is shutting down
            return false;
        }
    }

    /** Drops the pages of {@code m} more than {@link #KEEP_BEHIND} behind {@code end} from the mapping. */
    private void releaseBehind(MappedBytesStore m, long end) {
        long from = Math.max(Math.max(releasedUpTo, KEEP_HEAD), (m.start() + PAGE - 1) & -PAGE);
        long to = (end - KEEP_BEHIND) & -PAGE;
        if (to - from < RELEASE_STEP) {
            return;
        }
        try {
            m.reserve(OWNER);
        } catch (RuntimeException e) {
            return; // already released by Chronicle: not ours to touch
        }
        try {
            int rc = madvise.madvise(m.addressForRead(from), to - from, MADV_DONTNEED);
            if (rc == 0) {
                releasedBytes.addAndGet(to - from);
            } else {
                failures.incrementAndGet();
            }
            releasedUpTo = to;
        } catch (Throwable t) {
            off(t.toString());
        } finally {
            m.release(OWNER);
        }
    }

    private void populate(long address, long length) {
        try {
            int rc = madvise.madvise(address, length, MADV_POPULATE_WRITE);
            if (rc == 0) {
                populatedBytes.addAndGet(length);
            } else if (populatedBytes.get() == 0) {
                // never worked: no such advice here (older kernel, another OS)
                off("madvise(MADV_POPULATE_WRITE) returned " + rc);
            } else {
                failures.incrementAndGet(); // e.g. ENOMEM: the chunk was unmapped before the call ran
            }
        } catch (Throwable t) {
            off(t.toString());
        } finally {
            running.set(false);
        }
    }

    private void off(String why) {
        if (!disabled) {
            disabled = true;
            LOG.info("page prefaulting ahead of the journal writer is off ({}); records are unaffected,"
                    + " the writer takes its own page faults", why);
        }
    }

    /** Bytes populated so far (for tests and diagnostics). */
    public long populatedBytes() {
        return populatedBytes.get();
    }

    /** Bytes dropped from the writer's mapping behind it so far. */
    public long releasedBytes() {
        return releasedBytes.get();
    }

    /** Calls that failed after the first success (a chunk unmapped in between). */
    public long failures() {
        return failures.get();
    }

    /** True once a failure switched it off. */
    public boolean disabled() {
        return disabled;
    }
}
