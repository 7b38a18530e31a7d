package dev.logpipe.filesink.internal.queue;

import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

/**
 * The end of a journal, found without Chronicle's {@code toEnd()} and {@code lastIndex()} when the
 * newest segment holds no record.
 *
 * <p>Chronicle then walks back to the last record one cycle number at a time, recursively
 * ({@code StoreTailer.approximateLastCycle2}), through every cycle number in the gap whether a
 * segment exists for it or not. The newest segment is empty for a moment after each roll (and for
 * good after a crash just past one); with MINUTELY segments and a gap of days before it, the walk
 * overflowed the stack: {@code tail -n}, {@code tail -f} and the writer's restart failed with
 * {@code StackOverflowError}. Here the walk goes over the segments on disk only, and within one
 * segment by binary search over sequence numbers.
 *
 * <p>Threading: stateless; the tailers passed in are confined to their thread, as Chronicle's are.
 */
public final class QueueEnds {

    private QueueEnds() {
    }

    /** The index of the journal's last record, -1 if it has none. */
    public static long lastIndex(SingleChronicleQueue queue) {
        int first = queue.firstCycle();
        int last = queue.lastCycle();
        if (first == Integer.MAX_VALUE || last == Integer.MIN_VALUE || first > last) {
            return -1;
        }
        RollCycle rc = queue.rollCycle();
        try (ExcerptTailer t = queue.createTailer()) {
            for (Long c : queue.listCyclesBetween(first, last).descendingSet()) {
                long seq = lastSequence(t, rc, c.intValue());
                if (seq >= 0) {
                    return rc.toIndex(c.intValue(), seq);
                }
            }
            return -1;
        }
    }

    /**
     * Moves a forward {@code tailer} to where the next record will be: as Chronicle's
     * {@code toEnd()}, or, when the newest segment holds no record yet, to its start.
     */
    public static void toEnd(ExcerptTailer tailer, SingleChronicleQueue queue) {
        int last = queue.lastCycle();
        if (last == Integer.MIN_VALUE || tailer.moveToIndex(queue.rollCycle().toIndex(last, 0))) {
            tailer.toEnd();
            return;
        }
        if (!tailer.moveToCycle(last)) {
            tailer.toEnd(); // deleted meanwhile: the newest segment is another one now
        }
    }

    /** Turns {@code tailer} to read backwards from the journal's last record; false if there is none. */
    public static boolean toLast(ExcerptTailer tailer, SingleChronicleQueue queue) {
        long last = lastIndex(queue);
        tailer.direction(TailerDirection.BACKWARD);
        return last >= 0 && tailer.moveToIndex(last);
    }

    /** The highest sequence number present in {@code cycle}, -1 if none: exponential probe, then binary search. */
    public static long lastSequence(ExcerptTailer t, RollCycle rc, int cycle) {
        if (!t.moveToIndex(rc.toIndex(cycle, 0))) {
            return -1;
        }
        long max = rc.maxMessagesPerCycle();
        long good = 0;
        long step = 1;
        long bad;
        while (true) {
            long probe = good + step;
            if (probe > max) {
                bad = max + 1;
                break;
            }
            if (t.moveToIndex(rc.toIndex(cycle, probe))) {
                good = probe;
                step <<= 1;
            } else {
                bad = probe;
                break;
            }
        }
        while (bad - good > 1) {
            long m = (good + bad) >>> 1;
            if (t.moveToIndex(rc.toIndex(cycle, m))) {
                good = m;
            } else {
                bad = m;
            }
        }
        return good;
    }
}
