package dev.logpipe.channels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sends racing the receiver's close: every value is either received or handed back to its sender
 * (counted on both sides, the two must sum to the total, with no value on both sides).
 */
class MpscCloseRaceTest {
    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 5_000;
    private static final int ROUNDS = 8;

    @Test
    @Timeout(60)
    void boundedEveryValueIsReceivedOrHandedBack() throws Exception {
        long handedBack = 0;
        for (int round = 0; round < ROUNDS; round++) {
            handedBack += race(() -> Mpsc.bounded(8), round);
        }
        // Capacity 8 and a close well before the end: the race must really have refused values.
        assertTrue(handedBack > 0, "no send was refused: the close did not race the senders");
    }

    @Test
    @Timeout(60)
    void unboundedEveryValueIsReceivedOrHandedBack() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            race(Mpsc::unbounded, round);
        }
    }

    private static int race(Supplier<Mpsc.Channel<Integer>> factory, int round) throws Exception {
        Mpsc.Channel<Integer> ch = factory.get();
        Set<Integer> handedBack = ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            MpscSender<Integer> s = ch.sender().clone();
            int base = p * PER_PRODUCER;
            int mode = p % 4;
            Thread t = new Thread(() -> {
                try (s) {
                    start.await();
                    for (int i = 0; i < PER_PRODUCER; i++) {
                        Integer v = base + i;
                        SendResult<Integer> r = switch (mode) {
                            case 0 -> s.blockingSend(v);
                            case 1 -> s.send(v).toCompletableFuture().get();
                            case 2 -> {
                                SendResult<Integer> tr = s.trySend(v);
                                yield tr instanceof SendResult.Full ? s.blockingSend(v) : tr;
                            }
                            default -> {
                                Optional<Permit<Integer>> pm = s.tryReserve();
                                if (pm.isPresent()) {
                                    pm.get().send(v);
                                    yield SendResult.sent();
                                }
                                yield s.blockingSend(v);
                            }
                        };
                        if (r instanceof SendResult.Closed<Integer> c) {
                            assertEquals(v, c.value());
                            handedBack.add(c.value());
                        } else {
                            assertTrue(r.isSent(), "unexpected " + r);
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        ch.sender().close();
        start.countDown();
        Set<Integer> received = new HashSet<>();
        int closeAfter = 500 + round * 1500;
        List<Integer> buf = new ArrayList<>();
        while (ch.receiver().blockingRecvMany(buf, 16) > 0) {
            for (Integer v : buf) {
                assertTrue(received.add(v), "duplicate " + v);
            }
            buf.clear();
            if (received.size() >= closeAfter) {
                ch.receiver().close(); // races with the senders; idempotent
            }
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertEquals(List.of(), new ArrayList<>(failures));
        for (Integer v : handedBack) {
            assertTrue(!received.contains(v), "value both received and handed back: " + v);
        }
        assertEquals(PRODUCERS * PER_PRODUCER, received.size() + handedBack.size(),
                "round " + round + ": received " + received.size() + " + handed back " + handedBack.size());
        assertEquals(TryRecv.closed(), ch.receiver().tryRecv());
        return handedBack.size();
    }
}
