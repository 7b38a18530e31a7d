package dev.logpipe.channels;

import static dev.logpipe.channels.TestSupport.await;
import static dev.logpipe.channels.TestSupport.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The rows of the mpsc table for a full bounded (or weighted) channel. */
@Timeout(30)
class BoundedMpscFullTest {

    private static Mpsc.Channel<String> full(int capacity) {
        Mpsc.Channel<String> ch = Mpsc.bounded(capacity);
        for (int i = 0; i < capacity; i++) {
            assertTrue(ch.sender().trySend("f" + i).isSent());
        }
        return ch;
    }

    @Test
    void trySendOnFullHandsTheValueBack() {
        Mpsc.Channel<String> ch = full(2);
        assertEquals(new SendResult.Full<>("x"), ch.sender().trySend("x"));
        assertEquals(0, ch.sender().capacity());
        assertEquals(2, ch.sender().maxCapacity());
        assertTrue(ch.sender().tryReserve().isEmpty());
    }

    @Test
    void sendWaitsWhileFullAndWaitingSendersAreServedInArrivalOrder() {
        Mpsc.Channel<String> ch = full(1);
        List<CompletableFuture<SendResult<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            pending.add(ch.sender().send("w" + i).toCompletableFuture());
        }
        pending.forEach(f -> assertFalse(f.isDone()));
        assertEquals(new TryRecv.Value<>("f0"), ch.receiver().tryRecv());
        for (int i = 0; i < 5; i++) {
            assertSame(SendResult.sent(), pending.get(i).getNow(null), "waiter " + i + " served");
            for (int j = i + 1; j < 5; j++) {
                assertFalse(pending.get(j).isDone(), "waiter " + j + " still waits");
            }
            assertEquals(new TryRecv.Value<>("w" + i), ch.receiver().tryRecv());
        }
    }

    @Test
    void waitingSendCompletesOnTheReceivingThread() {
        Mpsc.Channel<String> ch = full(1);
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        ch.sender().send("w").thenRun(() -> ranOn.set(Thread.currentThread()));
        ch.receiver().tryRecv();
        assertSame(Thread.currentThread(), ranOn.get());
    }

    @Test
    void blockingSendWaitsUntilRoom() throws Exception {
        Mpsc.Channel<String> ch = full(1);
        AtomicReference<SendResult<String>> res = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                res.set(ch.sender().blockingSend("w"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        await("sender parked", () -> TestSupport.isWaiting(t));
        assertEquals(Optional.of("f0"), ch.receiver().blockingRecv());
        t.join(TestSupport.DEADLINE.toMillis());
        assertSame(SendResult.sent(), res.get());
        assertEquals(Optional.of("w"), ch.receiver().blockingRecv());
    }

    @Test
    void interruptedBlockingSendEnqueuesNothing() throws Exception {
        Mpsc.Channel<String> ch = full(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                ch.sender().blockingSend("w");
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        await("sender parked", () -> TestSupport.isWaiting(t));
        t.interrupt();
        t.join(TestSupport.DEADLINE.toMillis());
        assertInstanceOf(InterruptedException.class, thrown.get());
        ch.receiver().tryRecv();
        assertEquals(TryRecv.empty(), ch.receiver().tryRecv());
        assertEquals(1, ch.sender().capacity());
    }

    @Test
    void sendTimeoutOnFullTimesOutWithTheValue() throws Exception {
        Mpsc.Channel<String> ch = full(1);
        assertEquals(new SendResult.TimedOut<>("a"),
                ch.sender().blockingSendTimeout("a", Duration.ofMillis(20)));
        assertEquals(new SendResult.TimedOut<>("b"),
                get(ch.sender().sendTimeout("b", Duration.ofMillis(20))));
        assertEquals(new TryRecv.Value<>("f0"), ch.receiver().tryRecv());
        assertEquals(TryRecv.empty(), ch.receiver().tryRecv()); // neither timed-out value arrived
        assertTrue(ch.sender().trySend("c").isSent()); // the timed-out waiters left the queue
    }

    @Test
    void sendTimeoutSucceedsIfRoomComesInTime() {
        Mpsc.Channel<String> ch = full(1);
        CompletableFuture<SendResult<String>> f =
                ch.sender().sendTimeout("a", Duration.ofSeconds(30)).toCompletableFuture();
        ch.receiver().tryRecv();
        assertSame(SendResult.sent(), get(f));
    }

    @Test
    void reserveWaitsWhileFullAndTakesItsTurn() {
        Mpsc.Channel<String> ch = full(1);
        CompletableFuture<SendResult<String>> s1 = ch.sender().send("s1").toCompletableFuture();
        CompletableFuture<Permit<String>> p = ch.sender().reserve().toCompletableFuture();
        CompletableFuture<SendResult<String>> s2 = ch.sender().send("s2").toCompletableFuture();
        ch.receiver().tryRecv(); // f0 out: s1 in
        assertTrue(s1.isDone());
        assertFalse(p.isDone());
        ch.receiver().tryRecv(); // s1 out: the permit
        assertTrue(p.isDone());
        assertFalse(s2.isDone());
        p.join().send("p");
        assertEquals(new TryRecv.Value<>("p"), ch.receiver().tryRecv());
        assertTrue(s2.isDone());
        assertEquals(new TryRecv.Value<>("s2"), ch.receiver().tryRecv());
    }

    @Test
    void cancelledPendingSendDoesNotEnqueue() {
        Mpsc.Channel<String> ch = full(1);
        CompletableFuture<SendResult<String>> a = ch.sender().send("a").toCompletableFuture();
        CompletableFuture<SendResult<String>> b = ch.sender().send("b").toCompletableFuture();
        assertTrue(a.cancel(false));
        b.orTimeout(1, TimeUnit.NANOSECONDS);
        await("b timed out", b::isDone);
        ch.receiver().tryRecv();
        assertEquals(TryRecv.empty(), ch.receiver().tryRecv());
        assertEquals(1, ch.sender().capacity());
        assertTrue(ch.sender().trySend("c").isSent()); // no stale waiter blocks the fast path
    }

    @Test
    void cancelledReserveDoesNotHoldRoom() {
        Mpsc.Channel<String> ch = full(1);
        CompletableFuture<Permit<String>> p = ch.sender().reserve().toCompletableFuture();
        assertTrue(p.cancel(false));
        ch.receiver().tryRecv();
        assertEquals(1, ch.sender().capacity());
        ch.sender().close();
        assertEquals(TryRecv.closed(), ch.receiver().tryRecv());
    }

    @Test
    void receiverCloseFailsWaitingSendersWithTheirValues() throws Exception {
        Mpsc.Channel<String> ch = full(1);
        CompletableFuture<SendResult<String>> a = ch.sender().send("a").toCompletableFuture();
        CompletableFuture<Permit<String>> p = ch.sender().reserve().toCompletableFuture();
        AtomicReference<SendResult<String>> blocked = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                blocked.set(ch.sender().blockingSend("b"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        await("sender parked", () -> TestSupport.isWaiting(t));
        ch.receiver().close();
        t.join(TestSupport.DEADLINE.toMillis());
        assertEquals(new SendResult.Closed<>("a"), a.getNow(null));
        assertEquals(new SendResult.Closed<>("b"), blocked.get());
        assertTrue(p.isCompletedExceptionally());
        assertEquals(new TryRecv.Value<>("f0"), ch.receiver().tryRecv()); // still drainable
        assertEquals(TryRecv.closed(), ch.receiver().tryRecv());
    }

    @Test
    void trySendDoesNotBargePastAWaitingSender() {
        Mpsc.Channel<String> ch = Mpsc.weighted(10, String::length);
        assertTrue(ch.sender().trySend("123456").isSent()); // 6 used, 4 free
        CompletableFuture<SendResult<String>> big = ch.sender().send("12345678").toCompletableFuture();
        assertFalse(big.isDone()); // needs 8
        assertEquals(4, ch.sender().capacity());
        assertEquals(new SendResult.Full<>("a"), ch.sender().trySend("a")); // fits, but must queue behind
        assertTrue(ch.sender().tryReserve().isEmpty());
        ch.receiver().tryRecv();
        assertSame(SendResult.sent(), big.getNow(null));
        assertTrue(ch.sender().trySend("a").isSent());
    }

    @Test
    void weightedChannelBoundsTheSumOfClampedWeights() {
        Mpsc.Channel<String> ch = Mpsc.weighted(10, String::length);
        assertTrue(ch.sender().trySend("").isSent()); // weighs 1 (clamped up)
        assertTrue(ch.sender().trySend("12345678").isSent());
        assertEquals(1, ch.sender().capacity());
        assertEquals(new SendResult.Full<>("12"), ch.sender().trySend("12"));
        assertTrue(ch.sender().trySend("1").isSent());
        assertEquals(0, ch.sender().capacity());
        ch.receiver().tryRecv();
        ch.receiver().tryRecv();
        ch.receiver().tryRecv();
        assertEquals(10, ch.receiver().capacity());
        // a value heavier than the channel weighs the whole capacity and still goes through
        assertTrue(ch.sender().trySend("x".repeat(50)).isSent());
        assertEquals(0, ch.sender().capacity());
    }

    @Test
    void permitChargesTheValuesFullWeightOnSend() {
        Mpsc.Channel<String> ch = Mpsc.weighted(10, String::length);
        Permit<String> p = ch.sender().tryReserve().orElseThrow();
        assertEquals(9, ch.sender().capacity());
        p.send("12345");
        assertEquals(5, ch.sender().capacity());
        ch.receiver().tryRecv();
        assertEquals(10, ch.sender().capacity());
    }
}
