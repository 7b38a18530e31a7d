package dev.logpipe.filesink.internal.writer;

import dev.logpipe.filesink.internal.queue.Madvise;
import dev.logpipe.filesink.internal.queue.PassedPages;
import dev.logpipe.runtime.TaskRuntime;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytesStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the writer's segment mapping cheap for the kernel: pages just ahead of the writer are faulted
 * in on the runtime's blocking pool ({@code madvise(MADV_POPULATE_WRITE)} or {@code _READ}, Linux
 * 5.14+), and pages just behind it leave the mapping on the writer thread ({@code MADV_DONTNEED}).
 *
 * <p>Ahead, why: Chronicle Queue appends through a shared mapping of a sparse file; the first store to
 * each 4 KiB faults, and the kernel allocates, zeroes and maps a page-cache page inside that fault, on
 * the writer thread, the largest single item of its per-record cost (see {@code bench/RESULTS.md}).
 * Populating from another thread moves that work off the one thread every record goes through.
 * Filling only the page cache (reading the file ahead, or touching it through a second mapping)
 * would leave the fault itself on the writer; populating the writer's own mapping removes it.
 *
 * <p>Which advice: {@code MADV_POPULATE_WRITE} maps the pages writable and dirty, so the writer
 * takes no fault at all, but they are dirty zeros: a sync before the writer has filled them writes
 * them, and write-protects each one (one TLB shootdown per page: an interrupt to every other CPU
 * the process runs on, costly in a VM), after which the writer's store faults anyway. That is fine
 * when syncs are far apart and the window is small (a busy writer fills {@link #AHEAD} in a few
 * milliseconds, so a sync every 100 ms finds at most that much unwritten), and a waste when they
 * follow each other (durable receipts: each batch asks for the next sync at once). So the writer
 * says which it is: after a full batch that asks for no sync (no durable receipt, no sync policy
 * due), write; otherwise read, which leaves the pages clean (a sync neither writes nor
 * write-protects them) and costs the writer one light fault per page on its first store (the page
 * exists; the kernel only marks it writable). Embedded emits with durable receipts, cold, with the
 * release below: 0.93–1.11 M records/s instead of 0.76–0.98 M, TLB shootdowns per million records
 * 5–7 k instead of 29–40 k ({@code bench/RESULTS.md}).
 *
 * <p>Behind, why: writing back a page that is still mapped write-protects it, with one TLB shootdown
 * per page; a page no longer mapped costs nothing there. And Chronicle keeps a segment's first mapping
 * piece (its header and index) and the one or two it writes mapped, so without this every page
 * written through them stays in the process's RSS. So after every batch the pages more than
 * {@link #KEEP_BEHIND} behind the last record (never the file's first {@link #KEEP_HEAD}) leave the
 * mapping, in steps of at least {@link #RELEASE_STEP} (one shootdown per call, not per page), and the
 * whole mapping of a chunk the writer left goes too: {@link PassedPages}, which readers use as well.
 * A 13 GB segment of tiny records kept 276 MiB of chunk mappings resident without the last part (peak
 * RSS 466 MiB; 212 MiB since).
 *
 * <p>Safety: neither populate advice writes a byte, so neither can change the journal; pages ahead of
 * the writer are zero and stay zero until it writes them, and a reader stops at the first zero header
 * as it does at a hole. The range is always inside the chunk the writer is using when it is chosen; if
 * Chronicle has unmapped that chunk before the call runs, the kernel answers ENOMEM and nothing
 * happens (counted, not fatal). A failure before any success (an older kernel without the advice,
 * another OS, no native access) switches the prefaulter off for good, logged once; an exception while
 * choosing a range switches populating and the release off. It is an optimisation, never a reason
 * to stop storing records. The release does not need the populate advice (kernels before 5.14, RHEL 8's
 * 4.18 say, lack it but not {@code MADV_DONTNEED}): it goes on when populating has switched itself off,
 * and switches itself off on its own failure; both are off when prefaulting is turned off.
 *
 * <p>Threading: {@link #afterBatch} on the writer thread only; one populate call in flight at a time
 * on a blocking-pool thread; the two share {@code running} and {@code disabled}.
 */
public final class PagePrefaulter {

    static final int MADV_POPULATE_WRITE = Madvise.MADV_POPULATE_WRITE;
    static final int MADV_POPULATE_READ = Madvise.MADV_POPULATE_READ;
    /**
     * Bytes populated per call; a call is due when less than half of that is left ahead of the writer.
     * Small, because a sync writes whatever populated-writable pages the writer has not filled yet
     * (dirty zeros, written again once filled): with 4 MiB, {@code serve} at full rate wrote 31–46 %
     * more bytes than its journal holds and spent twice the blocking-pool CPU; with 512 KiB, 3 % more,
     * and both {@code serve} and the writer alone ran faster ({@code bench/RESULTS.md}).
     */
    static final long AHEAD = 512L << 10;
    static final int MADV_DONTNEED = Madvise.MADV_DONTNEED;
    /** Pages this close behind the writer stay mapped (the page it writes in, and the one before). */
    static final long KEEP_BEHIND = 16L << 10;
    /** Released in steps of at least this much. */
    static final long RELEASE_STEP = 128L << 10;
    /** The file's head: never released. */
    static final long KEEP_HEAD = 1L << 20;
    private static final long PAGE = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(PagePrefaulter.class);

    private final TaskRuntime runtime;
    private final Madvise madvise;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong populatedBytes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    /** Populating ahead is off (the advice failed, or {@link #broken}). */
    private volatile boolean disabled;
    /** An exception while choosing a range: populating and the release are off. Writer thread only. */
    private boolean broken;

    /** The release behind the writer. */
    private final PassedPages behind;

    // writer thread only
    private MappedBytesStore store;
    private long populatedUpTo;

    public PagePrefaulter(TaskRuntime runtime, Madvise madvise) {
        this.runtime = runtime;
        this.madvise = madvise;
        this.behind = new PassedPages(madvise, KEEP_BEHIND, RELEASE_STEP, KEEP_HEAD, why -> LOG.info(
                "pages behind the journal writer stay in its mapping ({}); records are unaffected", why));
    }

    /**
     * A prefaulter calling the real {@code madvise} through Chronicle's posix binding (JNR), on
     * Linux. Elsewhere, or where that binding fell back to its no-op implementation (which answers 0
     * to everything), every call fails, so the prefaulter switches itself off on its first one.
     */
    public static PagePrefaulter forThisOs(TaskRuntime runtime) {
        return new PagePrefaulter(runtime, Madvise.ofThisOs());
    }

    /**
     * Called by the writer after each batch, whose last record ended at file offset {@code end} of the
     * chunk {@code chunk} (the excerpt's bytes store). {@code fillsBeforeSync}: the writer is busy
     * and the batch asks for no sync (no durable receipt, no sync policy due), so pages populated
     * ahead will most likely be written before a sync finds them: they may be populated writable.
     *
     * @return true if it submitted a populate call
     */
    public boolean afterBatch(BytesStore<?, ?> chunk, long end, boolean fillsBeforeSync) {
        if (broken || !(chunk instanceof MappedBytesStore m)) {
            return false;
        }
        try {
            behind.passed(m, end);
            return !disabled && plan(m, end, fillsBeforeSync ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
        } catch (RuntimeException e) {
            // never let the optimisation stop the writer (it calls this on its own thread)
            broken = true;
            off(e.toString());
            return false;
        }
    }

    private boolean plan(MappedBytesStore m, long end, int advice) {
        if (m != store) { // a new chunk (or segment): start at the write position
            store = m;
            populatedUpTo = 0;
        }
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
            runtime.spawnBlocking(() -> populate(address, length, advice));
            return true;
        } catch (RuntimeException e) {
            running.set(false); // the runtime is shutting down
            return false;
        }
    }

    private void populate(long address, long length, int advice) {
        try {
            int rc = madvise.madvise(address, length, advice);
            if (rc == 0) {
                populatedBytes.addAndGet(length);
            } else if (populatedBytes.get() == 0) {
                // never worked: no such advice here (older kernel, another OS)
                off("madvise(MADV_POPULATE_" + (advice == MADV_POPULATE_WRITE ? "WRITE" : "READ") + ") returned " + rc);
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
                    + " the writer takes its own page faults{}", why,
                    broken ? "" : " (pages behind it still leave its mapping)");
        }
    }

    /** Bytes populated so far (for tests and diagnostics). */
    public long populatedBytes() {
        return populatedBytes.get();
    }

    /** Bytes dropped from the writer's mapping behind it so far. */
    public long releasedBytes() {
        return behind.releasedBytes();
    }

    /** Calls that failed after the first success (a chunk unmapped in between). */
    public long failures() {
        return failures.get() + behind.failures();
    }

    /** True once a failure switched populating ahead off. */
    public boolean disabled() {
        return disabled;
    }
}
