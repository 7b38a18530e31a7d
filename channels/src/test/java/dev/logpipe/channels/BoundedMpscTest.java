package dev.logpipe.channels;

/** Runs the mpsc contract against {@link Mpsc#bounded}. */
class BoundedMpscTest extends MpscContractTest {
    @Override
    <T> Mpsc.Channel<T> create(int capacity) {
        return Mpsc.bounded(capacity);
    }
}
