package dev.logpipe.channels.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A fixed ring for {@link MpscQueue}: producers claim an index with one atomic add and store into
 * the slot; no full check is needed because the channel's capacity counter admits at most as many
 * elements as the ring has slots (an element keeps its unit until the consumer has cleared its
 * slot).
 *
 * <p>Threading: see {@link MpscQueue}. Naming of orderings as in JCTools: {@code lv} load
 * volatile/acquire, {@code so} store ordered (release), {@code xadd}/{@code cas} atomic.
 */
final class MpscArrayQueue<E> implements MpscQueue<E> {
    private static final VarHandle PRODUCER_INDEX;
    private static final VarHandle CONSUMER_INDEX;
    private static final VarHandle ELEMENTS = MethodHandles.arrayElementVarHandle(Object[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PRODUCER_INDEX = l.findVarHandle(MpscArrayQueue.class, "producerIndex", long.class);
            CONSUMER_INDEX = l.findVarHandle(MpscArrayQueue.class, "consumerIndex", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Padding keeps the producers' hot index off the consumer's cache line (false sharing).
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    private volatile long producerIndex;
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;
    private volatile long consumerIndex;
    @SuppressWarnings("unused")
    private long p21, p22, p23, p24, p25, p26, p27;

    private final Object[] buffer;
    private final int mask;

    MpscArrayQueue(int minCapacity) {
        int cap = 1;
        while (cap < minCapacity) {
            cap <<= 1;
        }
        buffer = new Object[cap];
        mask = cap - 1;
    }

    @Override
    public void offer(E e) {
        // xadd: claims a unique index; a full fence, so the consumer's later lv of the producer
        // index (its pre-park re-check) sees this claim, or we see its published waiter.
        long pi = (long) PRODUCER_INDEX.getAndAdd(this, 1L);
        // so: publishes the element (and everything written before it) to the consumer's lv.
        ELEMENTS.setRelease(buffer, (int) (pi & mask), e);
    }

    @Override
    @SuppressWarnings("unchecked")
    public E relaxedPoll() {
        long ci = (long) CONSUMER_INDEX.getOpaque(this); // only this thread writes it
        int offset = (int) (ci & mask);
        // lv: pairs with the producer's so of the element.
        Object e = ELEMENTS.getAcquire(buffer, offset);
        if (e == null) {
            return null; // empty, or the producer of index ci has not stored yet
        }
        // Plain clear: the slot is reused only after the unit is released by a full-fence xadd
        // that follows this store.
        buffer[offset] = null;
        // so: publishes progress for size() readers.
        CONSUMER_INDEX.setRelease(this, ci + 1);
        return (E) e;
    }

    @Override
    public boolean peekReady() {
        long ci = (long) CONSUMER_INDEX.getOpaque(this);
        return ELEMENTS.getAcquire(buffer, (int) (ci & mask)) != null; // lv: the producer's so
    }

    @Override
    public boolean hasPending() {
        // lv: must be a volatile read so that it is ordered after the consumer's volatile
        // publication of its waiter (StoreLoad), pairing with the producers' xadd.
        return (long) PRODUCER_INDEX.getVolatile(this) != (long) CONSUMER_INDEX.getOpaque(this);
    }

    @Override
    public long size() {
        return MpscQueue.sizeBetween(() -> (long) CONSUMER_INDEX.getVolatile(this),
                () -> (long) PRODUCER_INDEX.getVolatile(this)); // lv both: see sizeBetween
    }
}
