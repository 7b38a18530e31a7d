package dev.logpipe.collector.internal.server;

import dev.logpipe.collector.internal.ingest.HeldBytes;
import io.netty.channel.ChannelHandlerContext;

import java.util.concurrent.RejectedExecutionException;
import java.util.function.IntSupplier;

/**
 * One connection's share of its listener's {@link MessageBudget}: told by the decoder how many bytes
 * of an unfinished message it holds, it takes memory for them beyond a small free allowance (smaller
 * the more connections are open), stops the connection's reads while the budget has no room, and
 * gives the memory back once the message's records have all gone into the channel.
 *
 * <p>Threading: confined to the connection's event loop (the budget's wake-up hops onto it).
 */
final class ConnectionMemory implements HeldBytes {

    /** The most a connection holds without asking the budget (with few connections open). */
    static final long MAX_ALLOWANCE = 64 * 1024;
    /** The least (with many open). */
    static final long MIN_ALLOWANCE = 8 * 1024;
    /**
     * What the allowances of a listener's connections may add up to: each connection's is this shared by
     * the connections open, within [{@link #MIN_ALLOWANCE}, {@link #MAX_ALLOWANCE}]. A connection the
     * budget stops still holds its allowance and the read that crossed it (up to 64 KiB): with a fixed
     * 64 KiB, 1,000 connections each holding a 130 KB line ran the direct memory out.
     */
    static final long ALLOWANCES = 8L << 20;

    private final MessageBudget budget;
    private final BackpressureHandler backpressure;
    private final IntSupplier openConnections;
    private long reserved;
    /** The last count the decoder gave: what a wake-up asks for again. */
    private long lastHeld;
    private boolean waiting;
    private boolean releaseQueued;

    ConnectionMemory(MessageBudget budget, BackpressureHandler backpressure, IntSupplier openConnections) {
        this.budget = budget;
        this.backpressure = backpressure;
        this.openConnections = openConnections;
    }

    /** What this connection may hold without asking the budget, now. */
    private long allowance() {
        return Math.max(MIN_ALLOWANCE, Math.min(MAX_ALLOWANCE, ALLOWANCES / Math.max(1, openConnections.getAsInt())));
    }

    /** Whether the connection's decoder holds input it has not finished (part of a frame). */
    boolean holdsInput() {
        return lastHeld > 0;
    }

    @Override
    public void held(ChannelHandlerContext ctx, long bytes) {
        lastHeld = bytes;
        long allowance = allowance();
        long want = bytes > allowance ? bytes : 0;
        if (want > reserved) {
            if (budget.tryGrow(this, want - reserved, () -> wake(ctx))) {
                reserved = want;
                if (waiting) {
                    waiting = false;
                    // not from inside the decoder's pass: reading again may decode at once
                    onLoop(ctx, () -> backpressure.holdReadsForMemory(false));
                }
            } else if (!waiting) {
                waiting = true;
                backpressure.holdReadsForMemory(true);
            }
        } else if (want == 0 && waiting) {
            // what it waited to grow is gone (the connection ended, or held records were decoded)
            waiting = false;
            if (reserved == 0) {
                budget.release(this);
            }
            onLoop(ctx, () -> backpressure.holdReadsForMemory(false));
        }
        if (want == 0 && reserved > 0 && !releaseQueued) {
            // The message is complete (or dropped): its memory is its records' until they are in the
            // channel. A next message that starts meanwhile is below the allowance or asks anew.
            releaseQueued = true;
            backpressure.whenDrained(() -> {
                releaseQueued = false;
                if (lastHeld <= allowance()) {
                    reserved = 0;
                    budget.release(this);
                }
            });
        }
    }

    @Override
    public boolean wouldHold(ChannelHandlerContext ctx, long bytes) {
        long want = bytes > allowance() ? bytes : 0;
        return want <= reserved || budget.wouldGrant(this, want - reserved);
    }

    @Override
    public boolean drained(ChannelHandlerContext ctx) {
        return backpressure.isDrained();
    }

    @Override
    public boolean drainedOrLater(ChannelHandlerContext ctx, Runnable resume) {
        if (backpressure.isDrained()) {
            return true;
        }
        backpressure.whenDrained(resume);
        return false;
    }

    private static void onLoop(ChannelHandlerContext ctx, Runnable task) {
        try {
            ctx.executor().execute(task);
        } catch (RejectedExecutionException e) {
            // the loop is gone, and the connection with it: nothing to read any more
        }
    }

    private void wake(ChannelHandlerContext ctx) {
        try {
            ctx.executor().execute(() -> {
                if (waiting && ctx.channel().isActive()) {
                    held(ctx, lastHeld);
                } else if (waiting) {
                    waiting = false;
                    budget.release(this);
                }
            });
        } catch (RejectedExecutionException e) {
            budget.release(this); // the loop is gone, and the connection with it
        }
    }
}
