package dev.logpipe.filesink.internal.writer;

import dev.logpipe.channels.MpscReceiver;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.JournalState;
import dev.logpipe.filesink.JournalWriteException;

/**
 * What the journal writer shares with the parts around it: the cycle it appends to (retention must
 * not delete that segment), and the failure that stopped it (a failed sync stops it like a write
 * error). Created before the writer, the sync coordinator and retention, so that each is given it
 * rather than a reference to the writer.
 *
 * <p>Threading: thread-safe; {@link #currentCycle} is written by the writer thread only.
 */
public final class WriterState {

    private final MpscReceiver<AppendRequest> input;
    private final WriterCounters counters;
    private volatile SpaceGuard space;
    private volatile int currentCycle = Integer.MIN_VALUE;
    private volatile JournalWriteException failure;

    public WriterState(MpscReceiver<AppendRequest> input, WriterCounters counters) {
        this.input = input;
        this.counters = counters;
    }

    /** The space guard to wake when the writer must stop while paused; set once, before the writer runs. */
    void space(SpaceGuard guard) {
        this.space = guard;
    }

    /** The cycle the writer appends to now, or MIN_VALUE before its first record. */
    public int currentCycle() {
        return currentCycle;
    }

    void currentCycle(int cycle) {
        this.currentCycle = cycle;
    }

    /** The error that stopped the writer from storing records, or null. */
    public JournalWriteException failure() {
        return failure;
    }

    /**
     * Records the first failure (later ones are ignored) and returns the one that stands: the state
     * becomes {@link JournalState#FAILED}.
     */
    JournalWriteException fail(JournalWriteException e) {
        if (failure == null) {
            failure = e;
        }
        counters.state = JournalState.FAILED;
        return failure;
    }

    /**
     * Any thread: stop storing because a sync failed, like a write error. Producers then get
     * {@code Closed} with their record back; a writer paused for space wakes up to fail what it holds.
     */
    public void failFromSync(Throwable t) {
        fail(t instanceof JournalWriteException j ? j : new JournalWriteException(t.toString(), t));
        input.close();
        SpaceGuard s = space;
        if (s != null) {
            s.wake();
        }
    }
}
