package dev.logpipe.channels.internal;

/**
 * A lock-free multi-producer single-consumer queue whose room is guaranteed by the caller (the
 * channel's capacity counter), so {@link #offer} never fails.
 *
 * <p>Threading: {@link #offer} from any thread; {@link #relaxedPoll} and {@link #hasPending} from
 * the single consumer (or a thread that holds the consumer's rights); {@link #size} from any.
 * Happens-before: the offering thread's actions before {@link #offer} happen-before the return of
 * the {@link #relaxedPoll} that takes the element.
 */
interface MpscQueue<E> {
    /** Adds {@code e}. The caller must hold room for it. */
    void offer(E e);

    /**
     * Takes the next element, or returns null if there is none <em>or</em> the next one was claimed
     * by a producer that has not stored it yet ({@link #hasPending} tells them apart).
     */
    E relaxedPoll();

    /**
     * Returns whether an element was added (claimed an index) and not yet taken, whether or not it
     * is visible yet. A volatile read of the producer index: after the consumer published that it
     * is parking, this is the re-check that pairs with the producer's index increment.
     */
    boolean hasPending();

    /**
     * Returns whether the next element is visible (so {@link #relaxedPoll} would return it). Reads
     * only the next slot, not the producers' index: cheap to spin on without pulling the
     * producers' hot cache line away from them.
     */
    boolean peekReady();

    /** Returns the number of elements added and not yet taken (approximate under concurrency). */
    long size();

    /**
     * The number of values between the two indices at one instant: lv ci, lv pi, lv ci again
     * (JCTools' size). Only when the consumer did not move while pi was read is pi - ci the count at
     * one instant; a stale ci read before a long pause would count values long since taken, and
     * report more than the channel can hold.
     */
    static long sizeBetween(java.util.function.LongSupplier consumerIndex,
                            java.util.function.LongSupplier producerIndex) {
        long after = consumerIndex.getAsLong();
        for (;;) {
            long before = after;
            long pi = producerIndex.getAsLong();
            after = consumerIndex.getAsLong();
            if (before == after) {
                return Math.max(0, pi - after);
            }
        }
    }
}
