package dev.logpipe.collector.internal.server;

import dev.logpipe.collector.internal.pipeline.AckCounters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;

/**
 * One connection's acknowledgements, in the order their messages arrived: each waits for its
 * records' receipts (durable or written), and is written to the client only when it and every
 * acknowledgement before it are ready, so the client sees them in order.
 *
 * <p>Bounded: past {@code maxPending} waiting acknowledgements the connection stops reading (through
 * {@link BackpressureHandler#holdReads}) until half of them are out.
 *
 * <p>Sync on pressure: while acknowledgements wait for durability, a timer on the event loop asks
 * for a journal sync every {@code pressureDelay} (the request is coalesced with a sync in flight), so
 * a client whose window is full is not left waiting for the next periodic sync.
 *
 * <p>Threading: confined to the connection's event loop, except the receipts' completions, which
 * run on runtime workers and only schedule one flush task on the loop (at most one queued at a
 * time, so a batch of completions costs one hop, not one per record).
 */
final class AckQueue {

    /**
     * Writes one acknowledgement into {@code out}, the buffer of this flush (written to the channel
     * after the acknowledgements before it, one write per flush); {@code failure} is null when every
     * record of the message is stored. With a failure, {@code out} is empty and the response may act on
     * the channel instead (e.g. close it).
     */
    interface Response {
        void write(ChannelHandlerContext ctx, ByteBuf out, Throwable failure);
    }

    /** {@code part}: the receipts of a message's part before its last; not an acknowledgement, not counted as one. */
    private record Entry(CompletableFuture<?>[] receipts, long startNanos, Response response, boolean part) {
    }

    private final ChannelHandlerContext ctx;
    private final AckCounters counters;
    private final BackpressureHandler backpressure;
    private final IntSupplier maxPending;
    private final Runnable syncNow;
    private final long pressureDelayNanos;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();

    /** What a listener's connections may hold waiting together: each its share of this among those open. */
    static final int LISTENER_PENDING = 65_536;
    /** The least a connection may hold waiting, however many are open. */
    static final int MIN_PENDING = 64;

    /**
     * A connection's bound on waiting acknowledgements: {@value #LISTENER_PENDING} shared by the
     * connections open, within [{@value #MIN_PENDING}, {@code maxPerConnection}]. Each waiting one holds
     * its receipts until they are durable (about 200 bytes for a RELP frame): 200 connections sending
     * small frames outside their window, each allowed 8,192, held over half a million and ran the heap
     * out.
     */
    static IntSupplier shared(int maxPerConnection, IntSupplier openConnections) {
        return () -> Math.max(Math.min(MIN_PENDING, maxPerConnection),
                Math.min(maxPerConnection, LISTENER_PENDING / Math.max(1, openConnections.getAsInt())));
    }
    private final AtomicBoolean flushQueued = new AtomicBoolean();
    private final Runnable flushTask = () -> {
        flushQueued.set(false);
        flush();
    };
    private ScheduledFuture<?> pressureTimer;
    private boolean held;
    private boolean discarded;
    /** The first failure among the parts flushed since the last acknowledgement: that of the message in parts. */
    private Throwable partFailure;
    /** Runs once the queue is empty, then is cleared (a graceful close waiting for the last ack). */
    private Runnable whenEmpty;

    /**
     * @param syncNow asks the journal for a sync now; null when acknowledgements wait only for
     *     records to be written
     */
    AckQueue(ChannelHandlerContext ctx, AckCounters counters, BackpressureHandler backpressure, IntSupplier maxPending,
             Runnable syncNow, long pressureDelayNanos) {
        this.ctx = ctx;
        this.counters = counters;
        this.backpressure = backpressure;
        this.maxPending = maxPending;
        this.syncNow = syncNow;
        this.pressureDelayNanos = pressureDelayNanos;
    }

    /** Acknowledgements not yet written. */
    int size() {
        return entries.size();
    }

    /**
     * Adds an acknowledgement that is written once every receipt has completed (none: at once, in
     * order). One callback per acknowledgement, on its last receipt: receipts mostly complete in order.
     * Not always (durable receipts complete in batches on more than one thread), so each is checked,
     * and one not done yet is waited for; each is checked for failure.
     */
    void add(Response response, CompletableFuture<?>... receipts) {
        add(response, receipts, false);
    }

    /**
     * Adds the receipts of one part of a message that comes in parts, other than its last, which carries
     * the acknowledgement: that acknowledgement's response gets the failure of any part before it (the
     * first), and a part is not counted as an acknowledgement (pending, sent or refused).
     */
    void addPart(CompletableFuture<?>... receipts) {
        add(NO_RESPONSE, receipts, true);
    }

    private static final Response NO_RESPONSE = (ctx, out, failure) -> { };

    private void add(Response response, CompletableFuture<?>[] receipts, boolean part) {
        if (discarded) {
            return;
        }
        Entry e = new Entry(receipts, System.nanoTime(), response, part);
        entries.addLast(e);
        if (!part) {
            counters.acksPending.incrementAndGet();
        }
        if (receipts.length > 0) {
            CompletableFuture<?> last = receipts[receipts.length - 1];
            if (!last.isDone()) {
                last.whenComplete((v, t) -> queueFlush());
                armPressureTimer();
            }
        }
        if (!held && entries.size() >= maxPending.getAsInt()) {
            held = true;
            backpressure.holdReads(true);
        }
        if (entries.size() == 1) {
            flush();
        }
    }

    /** Runs {@code action} once every acknowledgement has been written (at once when none waits). */
    void whenEmpty(Runnable action) {
        if (entries.isEmpty()) {
            action.run();
        } else {
            whenEmpty = action;
        }
    }

    /** The connection is gone: drop what waits (the client resends what it did not see acknowledged). */
    void discard() {
        if (!discarded) {
            discarded = true;
            counters.acksPending.addAndGet(-entries.stream().filter(e -> !e.part).count());
            entries.clear();
            whenEmpty = null;
            if (pressureTimer != null) {
                pressureTimer.cancel(false);
            }
        }
    }

    private void queueFlush() {
        if (flushQueued.compareAndSet(false, true)) {
            try {
                ctx.executor().execute(flushTask);
            } catch (RejectedExecutionException e) {
                flushQueued.set(false); // the event loop is gone: so is the connection
            }
        }
    }

    /** Writes every acknowledgement that is ready, in order, stopping at the first that is not. */
    void flush() {
        if (discarded) {
            return;
        }
        boolean wrote = false;
        ByteBuf out = null;
        Entry head;
        while ((head = entries.peekFirst()) != null && ready(head)) {
            CompletableFuture<?> notYet = firstNotDone(head);
            if (notYet != null) {
                // Its last receipt is done but not an earlier one: durable receipts are completed in
                // batches that can run on two threads at once (the writer's, for indexes already durable
                // when it registers them, and the sync's), so a later batch may finish first. Wait for it.
                notYet.whenComplete((v, t) -> queueFlush());
                break;
            }
            entries.pollFirst();
            if (!head.part) {
                counters.acksPending.decrementAndGet();
            }
            Throwable failure = failureOf(head);
            if (head.part) {
                partFailure = partFailure != null ? partFailure : failure;
                continue;
            }
            if (partFailure != null) {
                failure = failure != null ? failure : partFailure; // a message fails with any of its parts
                partFailure = null;
            }
            if (ctx.channel().isActive()) {
                if (out == null) {
                    out = ctx.alloc().ioBuffer(256);
                } else if (failure != null && out.isReadable()) {
                    // what went before goes out first: the response to a failure may close the channel
                    ctx.write(out);
                    out = ctx.alloc().ioBuffer(256);
                }
                head.response.write(ctx, out, failure);
                wrote = true;
            }
            if (head.receipts.length == 0) {
                continue; // a protocol answer (open, close, an error), not a stored message's ack
            }
            if (failure == null) {
                counters.ackSent(System.nanoTime() - head.startNanos);
            } else {
                counters.nacksSent.increment();
            }
        }
        if (out != null) {
            if (out.isReadable() && ctx.channel().isActive()) {
                ctx.write(out); // ownership passes to the channel's write
            } else {
                out.release();
            }
        }
        if (wrote) {
            ctx.flush();
        }
        if (held && entries.size() <= maxPending.getAsInt() / 2) {
            held = false;
            backpressure.holdReads(false);
        }
        if (entries.isEmpty() && whenEmpty != null) {
            Runnable r = whenEmpty;
            whenEmpty = null;
            r.run();
        }
    }

    /** Whether an acknowledgement waits for a receipt (ready ones sit only at the head, briefly). */
    private boolean anyWaiting() {
        for (Entry e : entries) {
            if (!ready(e)) {
                return true;
            }
        }
        return false;
    }

    private static boolean ready(Entry e) {
        return e.receipts.length == 0 || e.receipts[e.receipts.length - 1].isDone();
    }

    private static CompletableFuture<?> firstNotDone(Entry e) {
        for (CompletableFuture<?> f : e.receipts) {
            if (!f.isDone()) {
                return f;
            }
        }
        return null;
    }

    /** The first failure among the receipts of {@code e}, all done; null when none failed. */
    private static Throwable failureOf(Entry e) {
        for (CompletableFuture<?> f : e.receipts) {
            if (f.isCompletedExceptionally()) {
                try {
                    f.join();
                } catch (RuntimeException ex) {
                    return ex.getCause() != null ? ex.getCause() : ex;
                }
            }
        }
        return null;
    }

    private void armPressureTimer() {
        if (syncNow == null || pressureTimer != null) {
            return;
        }
        pressureTimer = ctx.executor().schedule(this::pressureCheck, pressureDelayNanos, TimeUnit.NANOSECONDS);
    }

    private void pressureCheck() {
        pressureTimer = null;
        if (discarded || !anyWaiting()) {
            return;
        }
        // An acknowledgement still waits for durability: ask for a sync (coalesced with one in flight)
        // and look again later, until nothing waits. The head may be ready with its flush queued but not
        // run yet; what is behind it still needs the sync (stopping here left it to the periodic sync).
        counters.pressureSyncRequests.increment();
        syncNow.run();
        armPressureTimer();
    }
}
