package dev.logpipe.collector.internal.ingest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * What a connection's decoder keeps of its input after a decoding pass: nothing when every byte was
 * decoded, else the unread bytes (an unfinished frame, or frames held back while the journal channel
 * is full), in a buffer not much larger than they are.
 *
 * <p>Why: a socket read fills a buffer of up to 64 KiB, and merging it behind an unfinished frame
 * grows the cumulation to 128 KiB. Kept whole between reads, that is 128 KiB of direct memory per
 * connection for the few hundred bytes of its unfinished line: with a thousand connections sending at
 * once, {@code serve}'s direct memory (80 MiB beside its 96 MiB heap) ran out, reads failed with
 * {@code OutOfMemoryError}, and connections were closed with what they had sent. Now an unread part
 * with more than {@link #MAX_SLACK} and more than its own size of free space around it is moved into
 * a buffer of its own size. The copy is the unfinished frame, usually far smaller than the read; while
 * frames are held back, the buffer at least halves at each move, so the bytes copied stay linear in
 * what was read.
 *
 * <p>Threading: called on the connection's event loop. Ownership: takes {@code cumulation}, returns
 * the buffer to keep (the same, a new one, or null after releasing it).
 */
final class Cumulation {

    /** Free space a kept buffer may have beyond its unread bytes. */
    static final int MAX_SLACK = 4096;

    private Cumulation() {
    }

    /**
     * The buffer to keep after a pass over {@code cumulation}: null when it was read to the end
     * (released), else the unread bytes, moved into a buffer of their size when the one they are in is
     * mostly empty.
     */
    static ByteBuf afterPass(ByteBufAllocator alloc, ByteBuf cumulation) {
        int unread = cumulation.readableBytes();
        if (unread == 0) {
            cumulation.release();
            return null;
        }
        int slack = cumulation.capacity() - unread;
        if (slack > MAX_SLACK && slack > unread) {
            return moveUnread(alloc, cumulation, unread);
        }
        cumulation.discardSomeReadBytes();
        return cumulation;
    }

    /**
     * As {@link #afterPass(ByteBufAllocator, ByteBuf)}, for an unfinished message whose length is known
     * to be at least {@code expected} bytes (e.g. from a bin header): its unread bytes are kept in a
     * buffer of that size, so that the reads still to come fill it instead of growing it step by step
     * (a copy of everything so far at each step, and up to twice the message while it grows).
     */
    static ByteBuf afterPass(ByteBufAllocator alloc, ByteBuf cumulation, int expected) {
        int unread = cumulation.readableBytes();
        if (unread == 0 || expected <= unread) {
            return afterPass(alloc, cumulation);
        }
        int room = cumulation.capacity() - cumulation.readerIndex();
        if (room >= expected && room - expected <= MAX_SLACK) {
            return cumulation; // already the message's size
        }
        return moveUnread(alloc, cumulation, expected);
    }

    /** The unread bytes of {@code cumulation} (released) in a new buffer of {@code capacity}. */
    private static ByteBuf moveUnread(ByteBufAllocator alloc, ByteBuf cumulation, int capacity) {
        ByteBuf kept = alloc.buffer(capacity);
        try {
            kept.writeBytes(cumulation, cumulation.readerIndex(), cumulation.readableBytes());
        } catch (RuntimeException | Error e) {
            kept.release();
            throw e;
        }
        cumulation.release();
        return kept;
    }
}
