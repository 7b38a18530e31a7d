package dev.logpipe.channels;

import static dev.logpipe.channels.TestSupport.await;
import static dev.logpipe.channels.TestSupport.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The mpsc contract every implementation keeps (rows of the mpsc table in CHANNELS.md that do not
 * depend on the channel being full). Thin subclasses run it against bounded, weighted and
 * unbounded channels.
 */
@Timeout(30)
abstract class MpscContractTest {

    /** Creates a channel with room for at least {@code capacity} values. */
    abstract <T> Mpsc.Channel<T> create(int capacity);

    // --- send(v) / trySend(v) with room: enqueued, FIFO

    @Test
    void sendWithRoomEnqueuesInOrder() {
        Mpsc.Channel<String> ch = create(8);
        assertSame(SendResult.sent(), get(ch.sender().send("a")));
        assertTrue(ch.sender().trySend("b").isSent());
        assertEquals(new TryRecv.Value<>("a"), ch.receiver().tryRecv());
        assertEquals(new TryRecv.Value<>("b"), ch.receiver().tryRecv());
        assertEquals(TryRecv.empty(), ch.receiver().tryRecv());
    }

    @Test
    void blockingSendWithRoomEnqueues() throws Exception {
        Mpsc.Channel<String> ch = create(8);
        assertEquals(SendResult.sent(), ch.sender().blockingSend("a"));
        assertEquals(SendResult.sent(), ch.sender().blockingSendTimeout("b", Duration.ofMillis(1)));
        assertEquals(SendResult.sent(), get(ch.sender().sendTimeout("c", Duration.ofMillis(1))));
        assertEquals(Optional.of("a"), ch.receiver().blockingRecv());
        assertEquals(Optional.of("b"), get(ch.receiver().recv()));
        assertEquals(Optional.of("c"), ch.receiver().blockingRecv());
    }

    // --- closed: every send form fails and hands the value back

    @Test
    void sendsOnReceiverClosedChannelHandTheValueBack() throws Exception {
        Mpsc.Channel<String> ch = create(8);
        ch.receiver().close();
        MpscSender<String> s = ch.sender();
        assertEquals(new SendResult.Closed<>("a"), s.trySend("a"));
        assertEquals(new SendResult.Closed<>("b"), get(s.send("b")));
        assertEquals(new SendResult.Closed<>("c"), s.blockingSend("c"));
        assertEquals(new SendResult.Closed<>("d"), get(s.sendTimeout("d", Duration.ofSeconds(1))));
        assertEquals(new SendResult.Closed<>("e"), s.blockingSendTimeout("e", Duration.ofSeconds(1)));
        assertTrue(s.isClosed());
    }

    @Test
    void reserveOnClosedChannelFails() {
        Mpsc.Channel<String> ch = create(8);
        ch.receiver().close();
        assertTrue(ch.sender().tryReserve().isEmpty());
        CompletableFuture<Permit<String>> f = ch.sender().reserve().toCompletableFuture();
        assertTrue(f.isCompletedExceptionally());
        assertThrows(ChannelClosedException.class, () -> ch.sender().blockingReserve());
    }

    @Test
    void sendThroughClosedHandleIsRefused() {
        Mpsc.Channel<String> ch = create(8);
        MpscSender<String> other = ch.sender().clone();
        ch.sender().close();
        assertEquals(new SendResult.Closed<>("x"), ch.sender().trySend("x"));
        assertTrue(other.trySend("y").isSent());
        assertThrows(IllegalStateException.class, () -> ch.sender().clone());
    }

    // --- reserve with room

    @Test
    void permitSendsLaterWithoutFailing() {
        Mpsc.Channel<String> ch = create(4);
        Permit<String> p = get(ch.sender().reserve());
        Permit<String> q = ch.sender().tryReserve().orElseThrow();
        q.send("q");
        p.send("p");
        assertThrows(IllegalStateException.class, () -> p.send("again"));
        assertEquals(new TryRecv.Value<>("q"), ch.receiver().tryRecv());
        assertEquals(new TryRecv.Value<>("p"), ch.receiver().tryRecv());
    }

    @Test
    void closingAPermitReturnsItsSlot() {
        Mpsc.Channel<String> ch = create(4);
        long free = ch.sender().capacity();
        Permit<String> p = ch.sender().tryReserve().orElseThrow();
        if (ch.sender().maxCapacity() != Long.MAX_VALUE) {
            assertEquals(free - 1, ch.sender().capacity());
        }
        p.close();
        p.close();
        assertEquals(free, ch.sender().capacity());
    }

    // --- recv / recvMany / tryRecv

    @Test
    void recvWaitsOnEmptyThenGetsTheNextValue() {
        Mpsc.Channel<String> ch = create(4);
        CompletableFuture<Optional<String>> f = ch.receiver().recv().toCompletableFuture();
        assertFalse(f.isDone());
        ch.sender().trySend("v");
        assertEquals(Optional.of("v"), get(f));
    }

    @Test
    void blockingRecvParksUntilAValueArrives() throws Exception {
        Mpsc.Channel<String> ch = create(4);
        AtomicReference<Optional<String>> got = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                got.set(ch.receiver().blockingRecv());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        await("receiver parked", () -> TestSupport.isWaiting(t));
        ch.sender().trySend("v");
        t.join(TestSupport.DEADLINE.toMillis());
        assertEquals(Optional.of("v"), got.get());
    }

    @Test
    void blockingRecvIsInterruptible() throws Exception {
        Mpsc.Channel<String> ch = create(4);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                ch.receiver().blockingRecv();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        await("receiver parked", () -> TestSupport.isWaiting(t));
        t.interrupt();
        t.join(TestSupport.DEADLINE.toMillis());
        assertInstanceOf(InterruptedException.class, thrown.get());
        ch.sender().trySend("kept");
        assertEquals(new TryRecv.Value<>("kept"), ch.receiver().tryRecv());
    }

    @Test
    void recvManyAppendsOneToLimitValues() {
        Mpsc.Channel<Integer> ch = create(16);
        for (int i = 0; i < 5; i++) {
            ch.sender().trySend(i);
        }
        List<Integer> buf = new ArrayList<>();
        assertEquals(3, get(ch.receiver().recvMany(buf, 3)));
        assertEquals(List.of(0, 1, 2), buf);
        assertEquals(2, get(ch.receiver().recvMany(buf, 10)));
        assertEquals(List.of(0, 1, 2, 3, 4), buf);
    }

    @Test
    void recvManyWaitsWhileEmpty() throws Exception {
        Mpsc.Channel<Integer> ch = create(16);
        List<Integer> buf = new ArrayList<>();
        CompletableFuture<Integer> f = ch.receiver().recvMany(buf, 10).toCompletableFuture();
        assertFalse(f.isDone());
        ch.sender().trySend(7);
        assertEquals(1, get(f));
        assertEquals(List.of(7), buf);

        List<Integer> buf2 = new ArrayList<>();
        Thread t = new Thread(() -> {
            try {
                ch.receiver().blockingRecvMany(buf2, 10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        await("receiver parked", () -> TestSupport.isWaiting(t));
        ch.sender().trySend(8);
        t.join(TestSupport.DEADLINE.toMillis());
        assertEquals(List.of(8), buf2);
    }

    @Test
    void recvManyReturnsZeroOnlyAtEndOfStream() throws Exception {
        Mpsc.Channel<Integer> ch = create(16);
        ch.sender().trySend(1);
        ch.sender().close();
        List<Integer> buf = new ArrayList<>();
        assertEquals(1, ch.receiver().blockingRecvMany(buf, 10));
        assertEquals(0, ch.receiver().blockingRecvMany(buf, 10));
        assertEquals(0, get(ch.receiver().recvMany(buf, 10)));
        assertThrows(IllegalArgumentException.class, () -> ch.receiver().recvMany(buf, 0));
    }

    @Test
    void tryRecvSaysClosedOnlyOnceDrained() {
        Mpsc.Channel<String> ch = create(4);
        ch.sender().trySend("a");
        ch.sender().close();
        assertTrue(ch.receiver().isClosed());
        assertEquals(new TryRecv.Value<>("a"), ch.receiver().tryRecv());
        assertEquals(TryRecv.closed(), ch.receiver().tryRecv());
        assertEquals(Optional.empty(), get(ch.receiver().recv()));
    }

    @Test
    void endOfStreamWaitsForOutstandingPermit() {
        Mpsc.Channel<String> ch = create(4);
        Permit<String> p = ch.sender().tryReserve().orElseThrow();
        ch.sender().close();
        assertEquals(TryRecv.empty(), ch.receiver().tryRecv());
        CompletableFuture<Optional<String>> f = ch.receiver().recv().toCompletableFuture();
        assertFalse(f.isDone());
        p.send("late");
        assertEquals(Optional.of("late"), get(f));
        assertEquals(Optional.empty(), get(ch.receiver().recv()));
    }

    @Test
    void closingTheLastPermitEndsTheStream() {
        Mpsc.Channel<String> ch = create(4);
        Permit<String> p = ch.sender().tryReserve().orElseThrow();
        ch.sender().close();
        CompletableFuture<Optional<String>> f = ch.receiver().recv().toCompletableFuture();
        assertFalse(f.isDone());
        p.close();
        assertEquals(Optional.empty(), get(f));
    }

    @Test
    void endOfStreamAfterAllClonesClose() {
        Mpsc.Channel<String> ch = create(4);
        MpscSender<String> c1 = ch.sender().clone();
        MpscSender<String> c2 = c1.clone();
        ch.sender().close();
        c1.close();
        c1.close(); // idempotent: must not count twice
        assertEquals(TryRecv.empty(), ch.receiver().tryRecv());
        assertFalse(ch.receiver().isClosed());
        c2.trySend("last");
        c2.close();
        assertEquals(new TryRecv.Value<>("last"), ch.receiver().tryRecv());
        assertEquals(TryRecv.closed(), ch.receiver().tryRecv());
    }

    @Test
    void pendingRecvWokenAtEndOfStream() {
        Mpsc.Channel<String> ch = create(4);
        CompletableFuture<Optional<String>> f = ch.receiver().recv().toCompletableFuture();
        ch.sender().close();
        assertEquals(Optional.empty(), get(f));
    }

    // --- receiver close: new sends fail, buffered still drainable

    @Test
    void receiverCloseKeepsBufferedValuesDrainable() {
        Mpsc.Channel<String> ch = create(4);
        ch.sender().trySend("a");
        ch.sender().trySend("b");
        ch.receiver().close();
        ch.receiver().close();
        assertEquals(new SendResult.Closed<>("c"), ch.sender().trySend("c"));
        assertEquals(new TryRecv.Value<>("a"), ch.receiver().tryRecv());
        assertEquals(Optional.of("b"), get(ch.receiver().recv()));
        assertEquals(TryRecv.closed(), ch.receiver().tryRecv());
    }

    @Test
    void receiverCloseWakesAParkedReceiver() throws Exception {
        Mpsc.Channel<String> ch = create(4);
        AtomicReference<Optional<String>> got = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                got.set(ch.receiver().blockingRecv());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        await("receiver parked", () -> TestSupport.isWaiting(t));
        ch.receiver().close();
        t.join(TestSupport.DEADLINE.toMillis());
        assertEquals(Optional.empty(), got.get());
    }

    @Test
    void senderClosedCompletesWhenReceiverCloses() {
        Mpsc.Channel<String> ch = create(4);
        CompletableFuture<Void> closed = ch.sender().closed().toCompletableFuture();
        assertFalse(closed.isDone());
        ch.receiver().close();
        assertTrue(closed.isDone());
    }

    // --- weak sender

    @Test
    void weakSenderDoesNotKeepTheChannelOpen() {
        Mpsc.Channel<String> ch = create(4);
        WeakMpscSender<String> weak = ch.sender().downgrade();
        MpscSender<String> strong = weak.upgrade().orElseThrow();
        strong.close();
        ch.sender().close();
        assertTrue(weak.upgrade().isEmpty());
        assertEquals(TryRecv.closed(), ch.receiver().tryRecv());
    }

    @Test
    void weakSenderCannotUpgradeAfterReceiverClosed() {
        Mpsc.Channel<String> ch = create(4);
        WeakMpscSender<String> weak = ch.sender().downgrade();
        ch.receiver().close();
        assertTrue(weak.upgrade().isEmpty());
    }

    @Test
    void pendingRecvCompletesOnTheSendingThread() throws Exception {
        Mpsc.Channel<String> ch = create(4);
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        CompletableFuture<Optional<String>> f = ch.receiver().recv().toCompletableFuture();
        f.thenRun(() -> ranOn.set(Thread.currentThread()));
        Thread sender = new Thread(() -> ch.sender().trySend("v"), "the-sender");
        sender.start();
        sender.join(TestSupport.DEADLINE.toMillis());
        assertEquals(Optional.of("v"), get(f));
        assertSame(sender, ranOn.get());
    }

    // --- cancellation of a pending recv consumes nothing

    @Test
    void cancelledRecvTakesNothing() {
        Mpsc.Channel<String> ch = create(4);
        CompletableFuture<Optional<String>> f = ch.receiver().recv().toCompletableFuture();
        assertThrows(IllegalStateException.class, () -> ch.receiver().tryRecv());
        assertTrue(f.cancel(false));
        ch.sender().trySend("v");
        assertEquals(new TryRecv.Value<>("v"), ch.receiver().tryRecv());
    }

    @Test
    void cancelledRecvManyTakesNothing() {
        Mpsc.Channel<String> ch = create(4);
        List<String> buf = new ArrayList<>();
        CompletionStage<Integer> st = ch.receiver().recvMany(buf, 4);
        st.toCompletableFuture().orTimeout(1, java.util.concurrent.TimeUnit.NANOSECONDS);
        await("timed out", () -> st.toCompletableFuture().isDone());
        ch.sender().trySend("v");
        assertTrue(buf.isEmpty());
        assertEquals(Optional.of("v"), get(ch.receiver().recv()));
    }

    // --- misuse

    @Test
    void nullsAreRefused() {
        Mpsc.Channel<String> ch = create(4);
        assertThrows(NullPointerException.class, () -> ch.sender().trySend(null));
        assertThrows(NullPointerException.class, () -> ch.sender().send(null));
        assertThrows(NullPointerException.class, () -> ch.sender().blockingSend(null));
        Permit<String> p = ch.sender().tryReserve().orElseThrow();
        assertThrows(NullPointerException.class, () -> p.send(null));
    }

    @Test
    void blockingFormsRefuseOnNonBlockingThread() throws Exception {
        Mpsc.Channel<String> ch = create(4);
        Throwable t = TestSupport.Worker.runAndCapture(() -> ch.receiver().blockingRecv());
        assertInstanceOf(IllegalStateException.class, t);
        assertEquals("blockingRecv called on non-blocking thread worker-3; use recv()", t.getMessage());
        assertInstanceOf(IllegalStateException.class,
                TestSupport.Worker.runAndCapture(() -> ch.sender().blockingSend("x")));
        assertInstanceOf(IllegalStateException.class,
                TestSupport.Worker.runAndCapture(() -> ch.sender().blockingReserve()));
        assertInstanceOf(IllegalStateException.class,
                TestSupport.Worker.runAndCapture(() -> ch.receiver().blockingRecvMany(new ArrayList<>(), 1)));
        assertInstanceOf(IllegalStateException.class,
                TestSupport.Worker.runAndCapture(() -> ch.sender().blockingSendTimeout("x", Duration.ZERO)));
        assertEquals(TryRecv.empty(), ch.receiver().tryRecv()); // nothing was sent by the refused calls
    }

    @Test
    void lenCountsBufferedValues() {
        Mpsc.Channel<String> ch = create(8);
        ch.sender().trySend("a");
        ch.sender().trySend("b");
        assertEquals(2, ch.receiver().len());
        ch.receiver().tryRecv();
        assertEquals(1, ch.receiver().len());
    }
}
