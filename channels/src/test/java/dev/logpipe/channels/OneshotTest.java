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

/** The rows of the oneshot table in CHANNELS.md. */
@Timeout(30)
class OneshotTest {

    @Test
    void sendStoresTheValueAndWakesTheReceiver() {
        Oneshot.Channel<String> ch = Oneshot.channel();
        CompletableFuture<String> f = ch.receiver().recv().toCompletableFuture();
        assertFalse(f.isDone());
        assertSame(SendResult.sent(), ch.sender().send("v"));
        assertEquals("v", get(f));
    }

    @Test
    void sendOnlyOnce() {
        Oneshot.Channel<String> ch = Oneshot.channel();
        assertTrue(ch.sender().send("a").isSent());
        assertEquals(new SendResult.Closed<>("b"), ch.sender().send("b"));
        assertEquals(new TryRecv.Value<>("a"), ch.receiver().tryRecv());
    }

    @Test
    void sendSucceedsEvenIfTheValueIsNeverRead() {
        Oneshot.Channel<String> ch = Oneshot.channel();
        assertTrue(ch.sender().send("a").isSent()); // success does not mean it will be read
    }

    @Test
    void sendAfterReceiverClosedHandsTheValueBack() {
        Oneshot.Channel<String> ch = Oneshot.channel();
        ch.receiver().close();
        assertEquals(new SendResult.Closed<>("v"), ch.sender().send("v"));
        assertTrue(ch.sender().isClosed());
    }

    @Test
    void receiveWaitsWhileNothingSent() throws Exception {
        Oneshot.Channel<String> ch = Oneshot.channel();
        AtomicReference<String> got = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                got.set(ch.receiver().blockingRecv());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        await("receiver parked", () -> TestSupport.isWaiting(t));
        ch.sender().send("v");
        t.join(TestSupport.DEADLINE.toMillis());
        assertEquals("v", got.get());
    }

    @Test
    void receiveGetsAValueAlreadyPresent() throws Exception {
        Oneshot.Channel<String> ch = Oneshot.channel();
        ch.sender().send("v");
        assertEquals("v", ch.receiver().blockingRecv());
    }

    @Test
    void receiveFailsWhenSenderClosedWithoutSending() {
        Oneshot.Channel<String> ch = Oneshot.channel();
        CompletableFuture<String> f = ch.receiver().recv().toCompletableFuture();
        ch.sender().close();
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertInstanceOf(ChannelClosedException.class, e.getCause());
        assertThrows(ChannelClosedException.class, () -> ch.receiver().blockingRecv());
    }

    @Test
    void senderCloseAfterSendKeepsTheValue() {
        Oneshot.Channel<String> ch = Oneshot.channel();
        ch.sender().send("v");
        ch.sender().close();
        assertEquals("v", get(ch.receiver().recv()));
    }

    @Test
    void tryRecvSaysEmptyValueOrClosed() {
        Oneshot.Channel<String> ch = Oneshot.channel();
        assertEquals(TryRecv.empty(), ch.receiver().tryRecv());
        ch.sender().send("v");
        assertEquals(new TryRecv.Value<>("v"), ch.receiver().tryRecv());
        assertEquals(TryRecv.closed(), ch.receiver().tryRecv()); // taken

        Oneshot.Channel<String> ch2 = Oneshot.channel();
        ch2.sender().close();
        assertEquals(TryRecv.closed(), ch2.receiver().tryRecv());
    }

    @Test
    void receiverCloseKeepsAValueSentBefore() {
        Oneshot.Channel<String> ch = Oneshot.channel();
        ch.sender().send("v");
        ch.receiver().close();
        ch.receiver().close();
        assertEquals(new TryRecv.Value<>("v"), ch.receiver().tryRecv());
    }

    @Test
    void receiverCloseFailsItsOwnPendingRecv() {
        Oneshot.Channel<String> ch = Oneshot.channel();
        CompletableFuture<String> f = ch.receiver().recv().toCompletableFuture();
        ch.receiver().close();
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertInstanceOf(ChannelClosedException.class, e.getCause());
    }

    @Test
    void senderClosedCompletesWhenTheReceiverIsGone() {
        Oneshot.Channel<String> ch = Oneshot.channel();
        CompletableFuture<Void> f = ch.sender().closed().toCompletableFuture();
        assertFalse(f.isDone());
        assertFalse(ch.sender().isClosed());
        ch.receiver().close();
        assertTrue(f.isDone());
    }

    @Test
    void cancelledRecvTakesNothing() {
        Oneshot.Channel<String> ch = Oneshot.channel();
        CompletableFuture<String> f = ch.receiver().recv().toCompletableFuture();
        assertThrows(IllegalStateException.class, () -> ch.receiver().tryRecv());
        assertTrue(f.cancel(false));
        ch.sender().send("v");
        assertEquals(new TryRecv.Value<>("v"), ch.receiver().tryRecv());
    }

    @Test
    void interruptedBlockingRecvTakesNothing() throws Exception {
        Oneshot.Channel<String> ch = Oneshot.channel();
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
        ch.sender().send("v");
        assertEquals(new TryRecv.Value<>("v"), ch.receiver().tryRecv());
    }

    @Test
    void nullRefusedAndBlockingRefusedOnNonBlockingThread() throws Exception {
        Oneshot.Channel<String> ch = Oneshot.channel();
        assertThrows(NullPointerException.class, () -> ch.sender().send(null));
        Throwable t = TestSupport.Worker.runAndCapture(() -> ch.receiver().blockingRecv());
        assertInstanceOf(IllegalStateException.class, t);
        assertEquals("blockingRecv called on non-blocking thread worker-3; use recv()", t.getMessage());
    }
}
