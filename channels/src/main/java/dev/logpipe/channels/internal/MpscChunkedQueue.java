package dev.logpipe.channels.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An unbounded {@link MpscQueue} made of linked fixed-size chunks: producers claim an index with
 * one atomic add and store into the chunk that holds it, allocating the next chunk when they are
 * the first to need it. One allocation per {@value #CHUNK_SIZE} elements, none per element. Used
 * for weighted and unbounded channels, whose element count is not bounded by a small number.
 *
 * <p>Threading: see {@link MpscQueue}. Orderings named as in JCTools ({@code lv}, {@code so},
 * {@code cas}, {@code xadd}).
 */
final class MpscChunkedQueue<E> implements MpscQueue<E> {
    static final int CHUNK_SHIFT = 10;
    static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;
    private static final int CHUNK_MASK = CHUNK_SIZE - 1;

    private static final VarHandle PRODUCER_INDEX;
    private static final VarHandle PRODUCER_CHUNK;
    private static final VarHandle CONSUMER_INDEX;
    private static final VarHandle NEXT;
    private static final VarHandle ELEMENTS = MethodHandles.arrayElementVarHandle(Object[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PRODUCER_INDEX = l.findVarHandle(MpscChunkedQueue.class, "producerIndex", long.class);
            PRODUCER_CHUNK = l.findVarHandle(MpscChunkedQueue.class, "producerChunk", Chunk.class);
            CONSUMER_INDEX = l.findVarHandle(MpscChunkedQueue.class, "consumerIndex", long.class);
            NEXT = l.findVarHandle(Chunk.class, "next", Chunk.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final class Chunk {
        final long index; // chunk number: holds element indices [index << SHIFT, (index + 1) << SHIFT)
        final Object[] elements = new Object[CHUNK_SIZE];
        volatile Chunk next;

        Chunk(long index) {
            this.index = index;
        }
    }

    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    private volatile long producerIndex;
    /** A hint: a chunk at or before the one holding the newest claimed index. Only moves forward. */
    private volatile Chunk producerChunk;
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;
    private volatile long consumerIndex;
    private Chunk consumerChunk; // consumer-confined
    @SuppressWarnings("unused")
    private long p21, p22, p23, p24, p25, p26, p27;

    MpscChunkedQueue() {
        Chunk first = new Chunk(0);
        producerChunk = first;
        consumerChunk = first;
    }

    @Override
    public void offer(E e) {
        // lv the hint BEFORE claiming: a hint is only advanced by a producer whose own claim came
        // earlier, so the chunk read here starts at or before our index (we never walk backwards).
        Chunk c = (Chunk) PRODUCER_CHUNK.getAcquire(this);
        // xadd: unique index, full fence (pairs with the consumer's pre-park lv of the index).
        long pi = (long) PRODUCER_INDEX.getAndAdd(this, 1L);
        long target = pi >>> CHUNK_SHIFT;
        while (c.index < target) {
            Chunk n = (Chunk) NEXT.getAcquire(c); // lv: a fully constructed chunk
            if (n == null) {
                Chunk fresh = new Chunk(c.index + 1);
                // cas: exactly one chunk becomes the successor; losers use the winner's.
                n = NEXT.compareAndSet(c, null, fresh) ? fresh : (Chunk) NEXT.getAcquire(c);
            }
            c = n;
        }
        // cas: move the hint forward so later producers walk less; never backwards.
        Chunk h = (Chunk) PRODUCER_CHUNK.getAcquire(this);
        while (h.index < c.index && !PRODUCER_CHUNK.compareAndSet(this, h, c)) {
            h = (Chunk) PRODUCER_CHUNK.getAcquire(this);
        }
        // so: publish the element to the consumer's lv.
        ELEMENTS.setRelease(c.elements, (int) (pi & CHUNK_MASK), e);
    }

    @Override
    @SuppressWarnings("unchecked")
    public E relaxedPoll() {
        long ci = (long) CONSUMER_INDEX.getOpaque(this);
        Chunk c = consumerChunk;
        if ((ci >>> CHUNK_SHIFT) != c.index) {
            // lv: the producer that claimed the chunk's first index links it; until then, nothing.
            Chunk n = (Chunk) NEXT.getAcquire(c);
            if (n == null) {
                return null;
            }
            consumerChunk = c = n;
        }
        int offset = (int) (ci & CHUNK_MASK);
        Object e = ELEMENTS.getAcquire(c.elements, offset); // lv: pairs with the producer's so
        if (e == null) {
            return null;
        }
        c.elements[offset] = null; // let the value be collected; chunks are never reused
        CONSUMER_INDEX.setRelease(this, ci + 1); // so: progress for size() readers
        return (E) e;
    }

    @Override
    public boolean peekReady() {
        long ci = (long) CONSUMER_INDEX.getOpaque(this);
        Chunk c = consumerChunk;
        if ((ci >>> CHUNK_SHIFT) != c.index) {
            c = (Chunk) NEXT.getAcquire(c); // lv: linked by the producer of the chunk's first index
            if (c == null) {
                return false;
            }
        }
        return ELEMENTS.getAcquire(c.elements, (int) (ci & CHUNK_MASK)) != null; // lv
    }

    @Override
    public boolean hasPending() {
        // lv: volatile, ordered after the consumer's volatile waiter publication (see MpscQueue).
        return (long) PRODUCER_INDEX.getVolatile(this) != (long) CONSUMER_INDEX.getOpaque(this);
    }

    @Override
    public long size() {
        return MpscQueue.sizeBetween(() -> (long) CONSUMER_INDEX.getVolatile(this),
                () -> (long) PRODUCER_INDEX.getVolatile(this)); // lv both: see sizeBetween
    }
}
