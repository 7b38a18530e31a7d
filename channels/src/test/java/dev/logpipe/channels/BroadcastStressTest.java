package dev.logpipe.channels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two senders, four receivers of different speeds, a small ring: each receiver sees, per sender,
 * an increasing subsequence; what it received plus what {@code Lagged} said it skipped is exactly
 * what was sent; and each receiver's last value before {@code Closed} is the last value sent (a
 * marker sent after both senders finished: nothing can overwrite it).
 */
class BroadcastStressTest {
    private static final int SENDERS = 2;
    private static final int PER_SENDER = 50_000;
    private static final int RECEIVERS = 4;
    private static final long MARKER = 2L << 32;

    @Test
    @Timeout(60)
    void receiversSeeGapFreeSequencesWithLaggedAccountingForEveryMiss() throws Exception {
        Broadcast.Channel<Long> ch = Broadcast.channel(16);
        List<BroadcastReceiver<Long>> receivers = new ArrayList<>();
        receivers.add(ch.receiver());
        for (int i = 1; i < RECEIVERS; i++) {
            receivers.add(ch.sender().subscribe());
        }
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        long[] received = new long[RECEIVERS];
        long[] skipped = new long[RECEIVERS];
        long[] lastValue = new long[RECEIVERS];
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < RECEIVERS; r++) {
            int id = r;
            BroadcastReceiver<Long> rx = receivers.get(r);
            threads.add(new Thread(() -> {
                Random rnd = new Random(100 + id);
                long[] next = new long[SENDERS + 1];
                try (rx) {
                    for (;;) {
                        TryRecv<Long> t = (id % 2 == 0) ? rx.blockingRecv()
                                : rx.recv().toCompletableFuture().get();
                        if (t instanceof TryRecv.Closed) {
                            break;
                        }
                        if (t instanceof TryRecv.Lagged<Long> l) {
                            // Each Lagged counts values not reported before: the sum is checked below.
                            skipped[id] += l.skipped();
                            continue;
                        }
                        long v = ((TryRecv.Value<Long>) t).value();
                        int s = (int) (v >>> 32);
                        long seq = v & 0xffffffffL;
                        assertTrue(seq >= next[s], "receiver " + id + " went backwards on sender " + s);
                        next[s] = seq + 1;
                        received[id]++;
                        lastValue[id] = v;
                        // receiver 0 never stalls; the others stall now and then
                        if (id > 0 && rnd.nextInt(200 * id) == 0) {
                            LockSupport.parkNanos(200_000L * id);
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "receiver-" + r));
        }
        threads.forEach(Thread::start);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < SENDERS; s++) {
            BroadcastSender<Long> tx = ch.sender().clone();
            int id = s;
            Thread t = new Thread(() -> {
                try (tx) {
                    go.await();
                    for (long i = 0; i < PER_SENDER; i++) {
                        assertEquals(RECEIVERS, tx.send(((long) id << 32) | i));
                        if ((i & 1023) == 0) {
                            Thread.yield();
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            senders.add(t);
            t.start();
        }
        go.countDown();
        for (Thread t : senders) {
            t.join();
        }
        assertEquals(RECEIVERS, ch.sender().send(MARKER));
        ch.sender().close();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(List.of(), new ArrayList<>(failures));
        // The stalling receivers must really have been overrun, or Lagged was not exercised.
        assertTrue(skipped[1] + skipped[2] + skipped[3] > 0, "no receiver lagged");
        for (int r = 0; r < RECEIVERS; r++) {
            assertEquals((long) SENDERS * PER_SENDER + 1, received[r] + skipped[r],
                    "receiver " + r + ": received " + received[r] + " + skipped " + skipped[r]);
            assertEquals(MARKER, lastValue[r], "receiver " + r + " ends on the last value sent");
        }
    }
}
