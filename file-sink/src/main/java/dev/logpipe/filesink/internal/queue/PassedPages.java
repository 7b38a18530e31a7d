package dev.logpipe.filesink.internal.queue;

import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.chronicle.core.io.ReferenceOwner;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Drops from the process's mapping the pages of a segment that a sequential pass (the journal writer,
 * a reader) has gone past ({@code MADV_DONTNEED}), so that its resident memory stays a few MiB however
 * long the segment is.
 *
 * <p>Why: Chronicle maps a segment in chunks and keeps some of them mapped while the segment is open
 * (the one in use, and one every four million records that its index lookups hold), and every page read
 * or written through a mapping stays in the process's RSS until it is unmapped. Over a 13 GB segment of
 * tiny records that was 240-290 MB of file-backed RSS in the writer and about 150 MB in a reader
 * ({@code bench/RESULTS.md}). Clean or dirty, the page cache keeps the data: for a shared file mapping
 * the kernel moves a page's dirty state to the page cache before unmapping it, so a sync still writes
 * it, and a later access maps the same page again. Nothing is read or written differently.
 *
 * <p>What: after each step of at least {@code step} bytes, the pages more than {@code keepBehind} behind
 * the pass (never the file's first {@code keepHead} bytes, its header); when the pass moves to another
 * chunk, the whole mapping of the one it left, the overlap past its end included, and that one again at
 * the switch after (what was touched through it meanwhile, by an index lookup say). The piece is
 * reserved around the call, so Chronicle cannot unmap it (and the address be reused) meanwhile; a
 * piece Chronicle has released already is left alone.
 *
 * <p>A failure: an exception from the call, or an error before any success (another OS, no native
 * access), switches it off for good, reported once to {@code whenOff}; an error after a success is
 * counted. It is an optimisation, never a reason to stop.
 *
 * <p>Threading: {@link #passed} on one thread (the pass's); the counters may be read from any.
 */
public final class PassedPages {

    private static final ReferenceOwner OWNER = ReferenceOwner.temporary("logpipe-passed-pages");
    private static final long PAGE = 4096;

    private final Madvise madvise;
    private final long keepBehind;
    private final long step;
    private final long keepHead;
    private final Consumer<String> whenOff;
    private final AtomicLong releasedBytes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean off;

    // the pass's thread only
    private MappedBytesStore store;
    private MappedBytesStore olderStore;
    private long releasedUpTo;

    /**
     * @param keepBehind pages this close behind the pass stay mapped
     * @param step released in steps of at least this much (one call, and one TLB shootdown, per step)
     * @param keepHead the file's first bytes, never released
     * @param whenOff told once, with the reason, when a failure switches it off
     */
    public PassedPages(Madvise madvise, long keepBehind, long step, long keepHead, Consumer<String> whenOff) {
        this.madvise = madvise;
        this.keepBehind = keepBehind;
        this.step = step;
        this.keepHead = keepHead;
        this.whenOff = whenOff;
    }

    /** The pass has reached file offset {@code end} in {@code m}, the chunk it is in. */
    public void passed(MappedBytesStore m, long end) {
        if (off) {
            return;
        }
        if (m != store) {
            // the pass is done with the last one, which Chronicle may keep mapped as long as the segment is open
            if (store != null) {
                release(store, 0, Long.MAX_VALUE);
            }
            if (olderStore != null) {
                release(olderStore, 0, Long.MAX_VALUE);
            }
            olderStore = store;
            store = m;
            releasedUpTo = 0;
        }
        long to = (end - keepBehind) & -PAGE;
        if (to - Math.max(releasedUpTo, keepHead) >= step && release(m, releasedUpTo, to)) {
            releasedUpTo = to;
        }
    }

    /**
     * Drops the pages of {@code m} in [{@code releasedFrom}, {@code to}) from the mapping (never the file's
     * head, never outside the mapping); false if there was nothing to do or {@code m} is unmapped.
     */
    private boolean release(MappedBytesStore m, long releasedFrom, long to) {
        if (off) {
            return false;
        }
        long from = Math.max(Math.max(releasedFrom, keepHead), (m.start() + PAGE - 1) & -PAGE);
        to = Math.min(to, m.capacity() & -PAGE); // its end, overlap included (an absolute offset, as start)
        if (to <= from) {
            return false;
        }
        try {
            m.reserve(OWNER);
        } catch (RuntimeException e) {
            return false; // already released by Chronicle: not ours to touch
        }
        try {
            int rc = madvise.madvise(m.addressForRead(from), to - from, Madvise.MADV_DONTNEED);
            if (rc == 0) {
                releasedBytes.addAndGet(to - from);
            } else if (releasedBytes.get() == 0) {
                off("madvise(MADV_DONTNEED) returned " + rc);
            } else {
                failures.incrementAndGet();
            }
            return true;
        } catch (Throwable t) {
            off(t.toString());
            return false;
        } finally {
            m.release(OWNER);
        }
    }

    private void off(String why) {
        if (!off) {
            off = true;
            whenOff.accept(why);
        }
    }

    /** Bytes dropped from the mapping so far. */
    public long releasedBytes() {
        return releasedBytes.get();
    }

    /** Calls that failed after the first success. */
    public long failures() {
        return failures.get();
    }

    /** True once a failure switched it off. */
    public boolean off() {
        return off;
    }
}
