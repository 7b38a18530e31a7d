package dev.logpipe.filesink.internal.queue;

import dev.logpipe.filesink.internal.queue.JournalQueues.SegmentFile;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueStore;

/**
 * How many bytes a segment really uses. Chronicle grows segment files in the pieces it maps them in
 * (20 MiB by default, {@link dev.logpipe.filesink.JournalSettings#chunkBytes()}) and leaves them
 * sparse, so {@code ls -l} says at least a piece and a quarter for a segment holding a few records; what is
 * used (what {@code du} sees, give or take a page) ends at the store's write position, which is the
 * last excerpt's header: we add one 4 KiB page for that excerpt and round up to a page.
 *
 * <p>Threading: thread-safe (Chronicle's store pool is).
 */
public final class SegmentSizes {

    private static final long PAGE = 4096;

    private SegmentSizes() {
    }

    /** The used bytes of {@code s}, or its file size if the store cannot be read. */
    public static long usedBytes(SingleChronicleQueue queue, SegmentFile s) {
        SingleChronicleQueueStore store = null;
        try {
            store = queue.storeForCycle(s.cycle(), queue.epoch(), false, null);
            if (store == null) {
                return s.bytes();
            }
            long used = (store.writePosition() + 2 * PAGE - 1) & -PAGE;
            return Math.min(s.bytes(), used);
        } catch (RuntimeException e) {
            return s.bytes();
        } finally {
            if (store != null) {
                queue.closeStore(store);
            }
        }
    }
}
