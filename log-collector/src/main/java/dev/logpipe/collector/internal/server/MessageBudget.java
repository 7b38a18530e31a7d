package dev.logpipe.collector.internal.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The memory a listener's connections may hold together for messages that have not been stored yet:
 * the bytes of an unfinished message (a Fluent Forward chunk of megabytes arrives in many reads),
 * then its records until they are in the channel. A connection that would go past the limit stops
 * reading until another gives memory back.
 *
 * <p>Progress: the connection that has held memory the longest (the head) may always grow, up to the
 * largest message; so connections that each hold part of a message cannot wait for each other
 * forever. Memory is then bounded by the limit, plus one message, plus each connection's allowance
 * outside the budget (see {@link ConnectionMemory}).
 *
 * <p>Threading: thread-safe (connections of several event loops share one); wake-ups run outside the
 * lock, on the caller's thread, and only schedule work on the waiter's own loop.
 */
final class MessageBudget {

    private final long limit;
    private long used;
    /** Holders and their bytes, in the order they first got memory: the first is the head. */
    private final LinkedHashMap<Object, Long> holders = new LinkedHashMap<>();
    /** Connections waiting for memory, in the order they asked, with how to wake each. */
    private final LinkedHashMap<Object, Runnable> waiters = new LinkedHashMap<>();

    MessageBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, got " + limit);
        }
        this.limit = limit;
    }

    /**
     * The default limit: a twelfth of the maximum heap ({@link Runtime#maxMemory()}), between 1 MiB and
     * 64 MiB (6.7 MiB under {@code logpipe serve}, whose JVM reports 80 MiB).
     */
    static long defaultLimit() {
        return Math.max(1L << 20, Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 12));
    }

    /**
     * Grants {@code more} bytes to {@code who} when it is the head (or nobody holds any) or when all stay
     * within the limit; otherwise {@code who} waits, and {@code wake} runs (once) when memory is given
     * back, after which it may ask again.
     */
    synchronized boolean tryGrow(Object who, long more, Runnable wake) {
        if (wouldGrant(who, more)) {
            used += more;
            holders.merge(who, more, Long::sum);
            waiters.remove(who);
            return true;
        }
        waiters.putIfAbsent(who, wake);
        return false;
    }

    /** Whether {@link #tryGrow} would grant {@code more} to {@code who} now. */
    synchronized boolean wouldGrant(Object who, long more) {
        boolean head = holders.isEmpty() || holders.keySet().iterator().next() == who;
        return head || used + more <= limit;
    }

    /** Gives back everything {@code who} holds, ends its wait, and wakes the waiters. */
    void release(Object who) {
        List<Runnable> wake;
        synchronized (this) {
            Long n = holders.remove(who);
            waiters.remove(who);
            if (n == null || waiters.isEmpty()) {
                if (n != null) {
                    used -= n;
                }
                return;
            }
            used -= n;
            wake = new ArrayList<>(waiters.values());
            waiters.clear();
        }
        wake.forEach(Runnable::run);
    }

    synchronized long used() {
        return used;
    }

    synchronized int waiting() {
        return waiters.size();
    }
}
