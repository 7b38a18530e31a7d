package dev.logpipe.channels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many producers (more threads than cores) through a small bounded mpsc with a stalling receiver:
 * no loss, no duplicate, per-producer FIFO, and a clean end of stream after every sender closed.
 * Values are {@code producer << 32 | sequence}.
 */
class MpscStressTest {
    private static final int PRODUCERS = 8;
    private static final int PER_PRODUCER = 50_000;
    private static final int CAPACITY = 16;

    /** Checks each value against the next expected sequence of its producer. */
    private static final class Checker {
        final long[] next = new long[PRODUCERS];
        long total;
        String error;

        void accept(long v) {
            int p = (int) (v >>> 32);
            long seq = v & 0xffffffffL;
            if (error == null && seq != next[p]) {
                error = "producer " + p + ": expected " + next[p] + " got " + seq;
            }
            next[p] = seq + 1;
            total++;
        }

        void assertComplete() {
            assertNull(error);
            long[] expected = new long[PRODUCERS];
            Arrays.fill(expected, PER_PRODUCER);
            assertArrayEquals(expected, next);
            assertEquals((long) PRODUCERS * PER_PRODUCER, total);
        }
    }

    private static List<Thread> startProducers(MpscSender<Long> root, ProducerBody body,
                                               ConcurrentLinkedQueue<Throwable> failures) {
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            MpscSender<Long> s = root.clone();
            int id = p;
            Thread t = new Thread(() -> {
                try (s) {
                    body.run(id, s);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "producer-" + p);
            threads.add(t);
        }
        root.close();
        threads.forEach(Thread::start);
        return threads;
    }

    interface ProducerBody {
        void run(int id, MpscSender<Long> s) throws Exception;
    }

    private static void stall(Random rnd) {
        int r = rnd.nextInt(1000);
        if (r < 3) {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200 + rnd.nextInt(800))); // a slow consumer
        } else if (r < 20) {
            Thread.yield();
        }
    }

    @Test
    @Timeout(90)
    void blockingFormsLoseNothingAndKeepPerProducerOrder() throws Exception {
        Mpsc.Channel<Long> ch = Mpsc.bounded(CAPACITY);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> producers = startProducers(ch.sender(), (id, s) -> {
            for (long i = 0; i < PER_PRODUCER; i++) {
                long v = ((long) id << 32) | i;
                SendResult<Long> r = (i % 3 == 0) ? s.blockingSend(v) : trySendSpinning(s, v);
                assertSame(SendResult.sent(), r);
            }
        }, failures);
        Checker c = new Checker();
        Random rnd = new Random(42);
        List<Long> buf = new ArrayList<>();
        for (;;) {
            buf.clear();
            int n = rnd.nextBoolean()
                    ? ch.receiver().blockingRecvMany(buf, 1 + rnd.nextInt(32))
                    : ch.receiver().blockingRecv().map(v -> {
                        buf.add(v);
                        return 1;
                    }).orElse(0);
            if (n == 0) {
                break;
            }
            assertEquals(n, buf.size());
            buf.forEach(c::accept);
            stall(rnd);
        }
        for (Thread t : producers) {
            t.join();
        }
        assertEquals(List.of(), new ArrayList<>(failures));
        c.assertComplete();
        assertEquals(TryRecv.closed(), ch.receiver().tryRecv());
        assertEquals(CAPACITY, ch.receiver().capacity());
    }

    private static SendResult<Long> trySendSpinning(MpscSender<Long> s, long v) throws InterruptedException {
        for (int i = 0; ; i++) {
            SendResult<Long> r = s.trySend(v);
            if (!(r instanceof SendResult.Full)) {
                return r;
            }
            if (i > 100) {
                return s.blockingSend(v); // do not burn a shared core
            }
            Thread.yield();
        }
    }

    @Test
    @Timeout(90)
    void asyncFormsLoseNothingAndKeepPerProducerOrder() throws Exception {
        Mpsc.Channel<Long> ch = Mpsc.bounded(CAPACITY);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch producersDone = new CountDownLatch(PRODUCERS);
        // Async producers: each sends its next value when the previous send completed.
        for (int p = 0; p < PRODUCERS; p++) {
            new AsyncProducer(p, ch.sender().clone(), producersDone, failures).pump(0);
        }
        ch.sender().close();
        Checker c = new Checker();
        CompletableFuture<Void> eos = new CompletableFuture<>();
        new AsyncReceiver(ch.receiver(), c, eos).loop();
        eos.get(80, TimeUnit.SECONDS);
        producersDone.await(10, TimeUnit.SECONDS);
        assertEquals(List.of(), new ArrayList<>(failures));
        c.assertComplete();
        assertEquals(TryRecv.closed(), ch.receiver().tryRecv());
    }

    private static final class AsyncProducer {
        final int id;
        final MpscSender<Long> s;
        final CountDownLatch done;
        final ConcurrentLinkedQueue<Throwable> failures;

        AsyncProducer(int id, MpscSender<Long> s, CountDownLatch done, ConcurrentLinkedQueue<Throwable> failures) {
            this.id = id;
            this.s = s;
            this.done = done;
            this.failures = failures;
        }

        /** Sends from {@code i} on; continues in the completion of a send that had to wait. */
        void pump(long i) {
            while (i < PER_PRODUCER) {
                CompletableFuture<SendResult<Long>> f =
                        s.send(((long) id << 32) | i).toCompletableFuture();
                if (!f.isDone()) {
                    long next = i + 1;
                    f.whenComplete((r, e) -> {
                        if (e != null || r != SendResult.<Long>sent()) {
                            failures.add(new AssertionError("send failed: " + r, e));
                        }
                        pump(next);
                    });
                    return;
                }
                if (f.join() != SendResult.<Long>sent()) {
                    failures.add(new AssertionError("send failed: " + f.join()));
                }
                i++;
            }
            s.close();
            done.countDown();
        }
    }

    private static final class AsyncReceiver {
        final MpscReceiver<Long> r;
        final Checker c;
        final CompletableFuture<Void> eos;
        final Random rnd = new Random(7);
        final List<Long> buf = new ArrayList<>();
        final Executor later = CompletableFuture.delayedExecutor(300, TimeUnit.MICROSECONDS);

        AsyncReceiver(MpscReceiver<Long> r, Checker c, CompletableFuture<Void> eos) {
            this.r = r;
            this.c = c;
            this.eos = eos;
        }

        void loop() {
            for (;;) {
                buf.clear();
                CompletableFuture<Integer> f = r.recvMany(buf, 1 + rnd.nextInt(32)).toCompletableFuture();
                if (!f.isDone()) {
                    f.whenComplete((n, e) -> {
                        if (e != null) {
                            eos.completeExceptionally(e);
                        } else if (consume(n)) {
                            resume();
                        }
                    });
                    return;
                }
                if (!consume(f.join())) {
                    return;
                }
                if (rnd.nextInt(500) == 0) {
                    resume(); // a stall: continue later, on another thread
                    return;
                }
            }
        }

        private void resume() {
            if (rnd.nextInt(500) == 0) {
                later.execute(this::loop);
            } else {
                loop();
            }
        }

        private boolean consume(int n) {
            if (n == 0) {
                eos.complete(null);
                return false;
            }
            if (n != buf.size()) {
                eos.completeExceptionally(new AssertionError(n + " != " + buf.size()));
                return false;
            }
            buf.forEach(c::accept);
            return true;
        }
    }

    @Test
    @Timeout(60)
    void weightedAndUnboundedChannelsAlsoLoseNothing() throws Exception {
        runBlocking(() -> Mpsc.weighted(64, v -> 1 + (v & 7)));
        runBlocking(Mpsc::unbounded);
    }

    private static void runBlocking(Supplier<Mpsc.Channel<Long>> factory) throws Exception {
        Mpsc.Channel<Long> ch = factory.get();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> producers = startProducers(ch.sender(), (id, s) -> {
            for (long i = 0; i < PER_PRODUCER / 2; i++) {
                assertSame(SendResult.sent(), s.blockingSend(((long) id << 32) | i));
            }
        }, failures);
        long[] next = new long[PRODUCERS];
        long total = 0;
        List<Long> buf = new ArrayList<>();
        while (ch.receiver().blockingRecvMany(buf, 64) > 0) {
            for (long v : buf) {
                int p = (int) (v >>> 32);
                assertEquals(next[p], v & 0xffffffffL, "producer " + p);
                next[p]++;
                total++;
            }
            buf.clear();
        }
        for (Thread t : producers) {
            t.join();
        }
        assertEquals(List.of(), new ArrayList<>(failures));
        assertEquals((long) PRODUCERS * (PER_PRODUCER / 2), total);
    }


    @Test
    @Timeout(60)
    void lenNeverReportsMoreThanTheChannelCanHold() throws Exception {
        // A sampling thread reads len() while producers and the receiver churn. len() must be a
        // count at one instant: never more values than capacity lets in (bounded: CAPACITY;
        // weighted: every value weighs at least 1, so at most the capacity in units).
        lenStaysWithinCapacity(Mpsc.bounded(CAPACITY), CAPACITY);
        lenStaysWithinCapacity(Mpsc.weighted(CAPACITY, v -> 1), CAPACITY);
    }

    private static void lenStaysWithinCapacity(Mpsc.Channel<Long> ch, long capacity) throws Exception {
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> producers = startProducers(ch.sender(), (id, s) -> {
            for (long i = 0; i < PER_PRODUCER / 5; i++) {
                assertSame(SendResult.sent(), s.blockingSend(((long) id << 32) | i));
            }
        }, failures);
        long[] maxSeen = new long[1];
        Thread sampler = new Thread(() -> {
            while (!ch.receiver().isClosed() || ch.receiver().len() > 0) {
                maxSeen[0] = Math.max(maxSeen[0], ch.receiver().len());
                if (producers.stream().noneMatch(Thread::isAlive)) {
                    return;
                }
            }
        }, "len-sampler");
        sampler.start();
        List<Long> buf = new ArrayList<>();
        long total = 0;
        while (ch.receiver().blockingRecvMany(buf, 3) > 0) {
            total += buf.size();
            buf.clear();
        }
        for (Thread t : producers) {
            t.join();
        }
        sampler.join();
        assertEquals(List.of(), new ArrayList<>(failures));
        assertEquals((long) PRODUCERS * (PER_PRODUCER / 5), total);
        org.junit.jupiter.api.Assertions.assertTrue(maxSeen[0] <= capacity,
                "len() reported " + maxSeen[0] + " values in a channel that holds " + capacity);
    }
}
