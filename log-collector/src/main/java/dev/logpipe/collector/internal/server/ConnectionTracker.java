package dev.logpipe.collector.internal.server;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open connections of one listener, for graceful shutdown: it tells each one to drain and
 * completes {@link #drain} once every connection is closed <em>and</em> has handed every record it
 * decoded to the journal channel.
 *
 * <p>Threading: thread-safe. Connections register and finish on their event loops; {@link #drain}
 * and {@link #forceCloseAll} are called from the shutdown thread. No lock: a connection that
 * registers while a drain starts reads the volatile plan after adding itself, and the drain reads
 * the set after publishing the plan, so one of the two always starts its drain (twice is harmless).
 */
final class ConnectionTracker {

    /** When draining connections stop reading: after a quiet moment, or at the grace deadline. */
    record DrainPlan(long quietNanos, long graceDeadlineNanos) {
    }

    private final Set<BackpressureHandler> open = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> allFinished = new CompletableFuture<>();
    private volatile DrainPlan plan;

    void register(BackpressureHandler h) {
        open.add(h);
        DrainPlan p = plan;
        if (p != null) {
            h.beginDrain(p);
        }
    }

    void finished(BackpressureHandler h) {
        open.remove(h);
        if (plan != null && open.isEmpty()) {
            allFinished.complete(null);
        }
    }

    /** Starts draining every connection (once); the future completes when all have finished. */
    CompletableFuture<Void> drain(DrainPlan p) {
        if (plan == null) {
            plan = p;
        }
        for (BackpressureHandler h : open) {
            h.beginDrain(plan);
        }
        if (open.isEmpty()) {
            allFinished.complete(null);
        }
        return allFinished;
    }

    /** Closes every open connection now; records they already decoded are still sent on. */
    void forceCloseAll() {
        for (BackpressureHandler h : open) {
            h.forceClose();
        }
    }

    int size() {
        return open.size();
    }
}
