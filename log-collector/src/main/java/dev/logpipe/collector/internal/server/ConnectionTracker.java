package dev.logpipe.collector.internal.server;

import io.netty.channel.Channel;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The connections of one listener, from the moment they are accepted until they are closed and have
 * handed every record they decoded to the journal channel; for graceful shutdown.
 *
 * <p>A connection is tracked from its acceptance on the boss loop ({@link #accepted}), before its
 * event loop has even run its initializer, so a drain that starts in between cannot miss it. It is
 * done when it closed without a handler (refused at the limit) or when its
 * {@link BackpressureHandler} says it has {@link #finished}.
 *
 * <p>Threading: thread-safe, without a lock: a connection that registers while a drain starts reads
 * the volatile plan after adding itself, and the drain reads the map after publishing the plan, so at
 * least one of the two starts its drain (twice is harmless).
 */
final class ConnectionTracker {

    /** When draining connections stop reading: after a quiet moment, or at the grace deadline. */
    record DrainPlan(long quietNanos, long graceDeadlineNanos) {
    }

    /** Value for an accepted connection whose handler is not installed (yet, or ever). */
    private static final Object NO_HANDLER = new Object();

    private final Map<Channel, Object> open = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> allFinished = new CompletableFuture<>();
    private volatile DrainPlan plan;

    /** A connection was accepted (boss loop); it counts as open until closed and finished. */
    void accepted(Channel child) {
        open.putIfAbsent(child, NO_HANDLER);
        // Runs on the child's event loop, like the handler's own calls, so the two do not race.
        child.closeFuture().addListener(f -> {
            if (open.get(child) == NO_HANDLER) {
                remove(child);
            }
        });
    }

    /** The connection's backpressure handler is installed (its event loop). */
    void register(Channel ch, BackpressureHandler h) {
        open.put(ch, h);
        DrainPlan p = plan;
        if (p != null) {
            h.beginDrain(p);
        }
    }

    /** The connection is closed and has handed over every record (its event loop). */
    void finished(Channel ch) {
        remove(ch);
    }

    private void remove(Channel ch) {
        open.remove(ch);
        if (plan != null && open.isEmpty()) {
            allFinished.complete(null);
        }
    }

    /** Starts draining every connection (once); the future completes when all have finished. */
    CompletableFuture<Void> drain(DrainPlan p) {
        if (plan == null) {
            plan = p;
        }
        for (Object v : open.values()) {
            if (v instanceof BackpressureHandler h) {
                h.beginDrain(plan);
            }
        }
        if (open.isEmpty()) {
            allFinished.complete(null);
        }
        return allFinished;
    }

    /** Closes every open connection now; records they already decoded are still sent on. */
    void forceCloseAll() {
        for (Channel ch : open.keySet()) {
            ch.close();
        }
    }

    int size() {
        return open.size();
    }
}
