package dev.logpipe.channels;

import static dev.logpipe.channels.TestSupport.await;
import static dev.logpipe.channels.TestSupport.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The rows of the watch table in CHANNELS.md. */
@Timeout(30)
class WatchTest {

    @Test
    void sendReplacesTheValueAndWakesWaitingReaders() {
        Watch.Channel<Integer> ch = Watch.channel(0);
        CompletableFuture<Void> f = ch.receiver().changed().toCompletableFuture();
        assertFalse(f.isDone());
        assertSame(SendResult.sent(), ch.sender().send(1));
        assertTrue(f.isDone());
        assertEquals(1, ch.receiver().borrow());
        assertFalse(ch.receiver().hasChanged()); // changed() marked it seen
    }

    @Test
    void sendFailsWithNoReceiversAndStoresNothing() {
        Watch.Channel<Integer> ch = Watch.channel(0);
        ch.receiver().close();
        assertEquals(new SendResult.Closed<>(1), ch.sender().send(1));
        assertEquals(0, ch.sender().borrow());
    }

    @Test
    void replaceModifyAndIfModifiedWorkWithNoReceivers() {
        Watch.Channel<Integer> ch = Watch.channel(0);
        ch.receiver().close();
        assertEquals(0, ch.sender().sendReplace(1));
        ch.sender().sendModify(v -> v + 10);
        assertEquals(11, ch.sender().borrow());
        assertTrue(ch.sender().sendIfModified(v -> v + 1));
        assertEquals(12, ch.sender().borrow());
    }

    @Test
    void sendIfModifiedWakesOnlyWhenModified() {
        Watch.Channel<String> ch = Watch.channel("a");
        CompletableFuture<Void> f = ch.receiver().changed().toCompletableFuture();
        assertFalse(ch.sender().sendIfModified(v -> v)); // same instance: not modified
        assertFalse(f.isDone());
        assertFalse(ch.receiver().hasChanged());
        assertTrue(ch.sender().sendIfModified(v -> v + "b"));
        assertTrue(f.isDone());
        assertEquals("ab", ch.receiver().borrow());
    }

    @Test
    void borrowDoesNotMarkSeenButBorrowAndUpdateDoes() {
        Watch.Channel<Integer> ch = Watch.channel(0);
        ch.sender().send(1);
        assertEquals(1, ch.receiver().borrow());
        assertTrue(ch.receiver().hasChanged());
        assertEquals(1, ch.receiver().borrowAndUpdate());
        assertFalse(ch.receiver().hasChanged());
        assertEquals(1, ch.sender().borrow());
    }

    @Test
    void changedCompletesAtOnceWhenThereIsAnUnseenValue() throws Exception {
        Watch.Channel<Integer> ch = Watch.channel(0);
        ch.sender().send(1);
        assertTrue(ch.receiver().changed().toCompletableFuture().isDone());
        assertFalse(ch.receiver().hasChanged());
        AtomicReference<Integer> got = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                ch.receiver().blockingChanged();
                got.set(ch.receiver().borrow());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        await("reader parked", () -> TestSupport.isWaiting(t));
        ch.sender().send(2);
        t.join(TestSupport.DEADLINE.toMillis());
        assertEquals(2, got.get());
    }

    @Test
    void changedFailsWhenAllSendersGoneAndNothingUnseen() {
        Watch.Channel<Integer> ch = Watch.channel(0);
        WatchSender<Integer> s2 = ch.sender().clone();
        CompletableFuture<Void> f = ch.receiver().changed().toCompletableFuture();
        ch.sender().close();
        assertFalse(f.isDone());
        s2.send(1);
        assertTrue(f.isDone());
        s2.close();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> ch.receiver().changed().toCompletableFuture().get());
        assertInstanceOf(ChannelClosedException.class, e.getCause());
        assertThrows(ChannelClosedException.class, () -> ch.receiver().blockingChanged());
    }

    @Test
    void changedDeliversAnUnseenValueEvenAfterSendersAreGone() {
        Watch.Channel<Integer> ch = Watch.channel(0);
        ch.sender().send(1);
        ch.sender().close();
        assertTrue(ch.receiver().changed().toCompletableFuture().isDone());
        assertEquals(1, ch.receiver().borrow());
    }

    @Test
    void pendingChangedFailsWhenLastSenderCloses() {
        Watch.Channel<Integer> ch = Watch.channel(0);
        CompletableFuture<Void> f = ch.receiver().changed().toCompletableFuture();
        ch.sender().close();
        assertTrue(f.isCompletedExceptionally());
    }

    @Test
    void waitForTestsTheCurrentValueFirstThenEachNewOne() throws Exception {
        Watch.Channel<Integer> ch = Watch.channel(5);
        assertEquals(5, get(ch.receiver().waitFor(v -> v > 3)));
        CompletableFuture<Integer> f = ch.receiver().waitFor(v -> v >= 10).toCompletableFuture();
        ch.sender().send(7);
        assertFalse(f.isDone());
        ch.sender().send(12);
        assertEquals(12, get(f));
        assertFalse(ch.receiver().hasChanged());
        AtomicReference<Integer> got = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                got.set(ch.receiver().blockingWaitFor(v -> v == 20));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        await("reader parked", () -> TestSupport.isWaiting(t));
        ch.sender().send(20);
        t.join(TestSupport.DEADLINE.toMillis());
        assertEquals(20, got.get());
    }

    @Test
    void waitForFailsWhenSendersGoneWithoutAMatch() {
        Watch.Channel<Integer> ch = Watch.channel(0);
        CompletableFuture<Integer> f = ch.receiver().waitFor(v -> v > 0).toCompletableFuture();
        ch.sender().close();
        assertTrue(f.isCompletedExceptionally());
    }

    @Test
    void newReceiverStartsWithTheCurrentValueSeen() {
        Watch.Channel<Integer> ch = Watch.channel(0);
        ch.sender().send(1);
        WatchReceiver<Integer> r = ch.sender().subscribe();
        assertFalse(r.hasChanged());
        assertEquals(1, r.borrow());
        WatchReceiver<Integer> c = ch.receiver().clone(); // keeps the original's seen-version
        assertTrue(c.hasChanged());
        assertEquals(3, ch.sender().receiverCount());
    }

    @Test
    void senderClosedCompletesWhenNoReceiverIsLeft() {
        Watch.Channel<Integer> ch = Watch.channel(0);
        WatchReceiver<Integer> r2 = ch.sender().subscribe();
        CompletableFuture<Void> f = ch.sender().closed().toCompletableFuture();
        ch.receiver().close();
        assertFalse(f.isDone());
        r2.close();
        r2.close();
        assertTrue(f.isDone());
        assertEquals(0, ch.sender().receiverCount());
    }

    @Test
    void cancelledChangedMarksNothingSeen() {
        Watch.Channel<Integer> ch = Watch.channel(0);
        CompletableFuture<Void> f = ch.receiver().changed().toCompletableFuture();
        assertThrows(IllegalStateException.class, () -> ch.receiver().changed());
        assertTrue(f.cancel(false));
        ch.sender().send(1);
        assertTrue(ch.receiver().hasChanged());
    }

    @Test
    void nullRefusedAndBlockingRefusedOnNonBlockingThread() throws Exception {
        Watch.Channel<Integer> ch = Watch.channel(0);
        assertThrows(NullPointerException.class, () -> ch.sender().send(null));
        assertThrows(NullPointerException.class, () -> Watch.channel(null));
        assertThrows(NullPointerException.class, () -> ch.sender().sendModify(v -> null));
        assertEquals(0, ch.sender().borrow());
        assertInstanceOf(IllegalStateException.class,
                TestSupport.Worker.runAndCapture(() -> ch.receiver().blockingChanged()));
        assertInstanceOf(IllegalStateException.class,
                TestSupport.Worker.runAndCapture(() -> ch.receiver().blockingWaitFor(v -> true)));
    }
}
