package dev.logpipe.it.support;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A group of {@link TcpProducer}s, one thread each, two per wire format and round, with one stop flag.
 *
 * <p>Threading: start, stop and join from the test thread; the counters from any thread.
 */
public final class ProducerGroup {

    private final List<TcpProducer> producers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stop;

    /**
     * {@code count} producers named {@code prefix + i}, formats in turn, each sending up to
     * {@code maxRecords} to {@code port}, flushing every {@code flushEvery} records.
     */
    public ProducerGroup(String prefix, int count, int port, long maxRecords, int flushEvery) {
        WireFrames.Format[] formats = WireFrames.Format.values();
        for (int i = 0; i < count; i++) {
            TcpProducer p = new TcpProducer(prefix + i, formats[i % formats.length], port, maxRecords, () -> stop, flushEvery);
            producers.add(p);
            Thread t = new Thread(p, "it-producer-" + prefix + i);
            t.setDaemon(true);
            threads.add(t);
        }
    }

    /** Starts every producer. */
    public ProducerGroup start() {
        threads.forEach(Thread::start);
        return this;
    }

    /** The producers. */
    public List<TcpProducer> producers() {
        return producers;
    }

    /** Records flushed by every producer now, in producer order. */
    public long[] flushed() {
        long[] f = new long[producers.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = producers.get(i).flushed();
        }
        return f;
    }

    /** The sum of {@link #flushed()}. */
    public long flushedTotal() {
        long sum = 0;
        for (TcpProducer p : producers) {
            sum += p.flushed();
        }
        return sum;
    }

    /** Tells every producer to stop after the record it is writing. */
    public void stop() {
        stop = true;
    }

    /** Waits for every producer thread to end; fails if one is still running after {@code seconds}. */
    public void join(long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " still running after " + seconds + " s: " + producers);
            }
        }
    }

    /** Fails if a producer's connection failed. */
    public void assertNoFailure() {
        for (TcpProducer p : producers) {
            if (p.failure() != null) {
                throw new AssertionError(p + " failed", p.failure());
            }
        }
    }

    @Override
    public String toString() {
        return producers.toString();
    }
}
