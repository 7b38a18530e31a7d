package dev.logpipe.channels;

/** Runs the mpsc contract against {@link Mpsc#weighted} with weight 1 per value (same as bounded). */
class WeightedMpscTest extends MpscContractTest {
    @Override
    <T> Mpsc.Channel<T> create(int capacity) {
        return Mpsc.weighted(capacity, v -> 1);
    }
}
