package dev.logpipe.channels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two senders bump a counter with {@code sendModify} while readers follow with
 * {@code changed()}: a reader never sees the value go backwards and always ends on the last value.
 */
class WatchStressTest {
    private static final int PER_SENDER = 50_000;

    @Test
    @Timeout(60)
    void readersNeverGoBackwardsAndEndOnTheLastValue() throws Exception {
        Watch.Channel<Long> ch = Watch.channel(0L);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> readers = new ArrayList<>();
        long[] last = new long[4];
        for (int r = 0; r < 4; r++) {
            WatchReceiver<Long> rx = r == 0 ? ch.receiver() : ch.sender().subscribe();
            int id = r;
            readers.add(new Thread(() -> {
                long prev = -1;
                try (rx) {
                    for (;;) {
                        try {
                            if (id % 2 == 0) {
                                rx.blockingChanged();
                            } else {
                                rx.changed().toCompletableFuture().join();
                            }
                        } catch (ChannelClosedException | java.util.concurrent.CompletionException e) {
                            if (e instanceof ChannelClosedException || e.getCause() instanceof ChannelClosedException) {
                                break;
                            }
                            throw e;
                        }
                        long v = rx.borrowAndUpdate();
                        assertTrue(v >= prev, "reader " + id + " went backwards: " + prev + " -> " + v);
                        prev = v;
                    }
                    long fin = rx.borrowAndUpdate();
                    assertTrue(fin >= prev);
                    last[id] = fin;
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        readers.forEach(Thread::start);
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            WatchSender<Long> tx = ch.sender().clone();
            senders.add(new Thread(() -> {
                try (tx) {
                    for (int i = 0; i < PER_SENDER; i++) {
                        tx.sendModify(v -> v + 1);
                    }
                }
            }));
        }
        ch.sender().close();
        senders.forEach(Thread::start);
        for (Thread t : senders) {
            t.join();
        }
        for (Thread t : readers) {
            t.join();
        }
        assertEquals(List.of(), new ArrayList<>(failures));
        for (int r = 0; r < 4; r++) {
            assertEquals(2L * PER_SENDER, last[r], "reader " + r + " ends on the last value");
        }
    }
}
