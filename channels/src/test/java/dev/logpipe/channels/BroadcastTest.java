package dev.logpipe.channels;

import static dev.logpipe.channels.TestSupport.await;
import static dev.logpipe.channels.TestSupport.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The rows of the broadcast table in CHANNELS.md. */
@Timeout(30)
class BroadcastTest {

    @Test
    void sendReturnsHowManyReceiversWillSeeIt() {
        Broadcast.Channel<String> ch = Broadcast.channel(4);
        BroadcastReceiver<String> r2 = ch.sender().subscribe();
        assertEquals(2, ch.sender().send("a"));
        assertEquals(2, ch.sender().receiverCount());
        assertEquals(new TryRecv.Value<>("a"), ch.receiver().tryRecv());
        assertEquals(new TryRecv.Value<>("a"), r2.tryRecv());
    }

    @Test
    void sendWithNoReceiversFailsAndKeepsNothing() {
        Broadcast.Channel<String> ch = Broadcast.channel(4);
        ch.receiver().close();
        assertEquals(0, ch.sender().send("a"));
        BroadcastReceiver<String> late = ch.sender().subscribe();
        assertEquals(TryRecv.empty(), late.tryRecv()); // "a" was not stored
    }

    @Test
    void sendNeverWaitsAndOverwritesTheOldest() {
        Broadcast.Channel<Integer> ch = Broadcast.channel(3); // rounded up to 4
        for (int i = 0; i < 10; i++) {
            assertEquals(1, ch.sender().send(i));
        }
        assertEquals(new TryRecv.Lagged<>(6), ch.receiver().tryRecv());
        for (int i = 6; i < 10; i++) {
            assertEquals(new TryRecv.Value<>(i), ch.receiver().tryRecv());
        }
        assertEquals(TryRecv.empty(), ch.receiver().tryRecv());
    }

    @Test
    void laggedIsReportedOncePerOverrun() {
        Broadcast.Channel<Integer> ch = Broadcast.channel(2);
        for (int i = 0; i < 5; i++) {
            ch.sender().send(i);
        }
        assertEquals(new TryRecv.Lagged<>(3), get(ch.receiver().recv()));
        assertEquals(new TryRecv.Value<>(3), get(ch.receiver().recv()));
        ch.sender().send(5);
        ch.sender().send(6); // overwrites 4, which was not read
        assertEquals(new TryRecv.Lagged<>(1), ch.receiver().tryRecv());
        assertEquals(new TryRecv.Value<>(5), ch.receiver().tryRecv());
        assertEquals(new TryRecv.Value<>(6), ch.receiver().tryRecv());
    }

    @Test
    void subscribeSeesOnlyValuesSentAfterTheCall() {
        Broadcast.Channel<String> ch = Broadcast.channel(4);
        ch.sender().send("before");
        BroadcastReceiver<String> r = ch.sender().subscribe();
        BroadcastReceiver<String> rr = ch.receiver().resubscribe();
        ch.sender().send("after");
        assertEquals(new TryRecv.Value<>("after"), r.tryRecv());
        assertEquals(new TryRecv.Value<>("after"), rr.tryRecv());
        assertEquals(new TryRecv.Value<>("before"), ch.receiver().tryRecv());
    }

    @Test
    void receiveWaitsForTheNextValueInOrder() throws Exception {
        Broadcast.Channel<String> ch = Broadcast.channel(4);
        CompletableFuture<TryRecv<String>> f = ch.receiver().recv().toCompletableFuture();
        assertFalse(f.isDone());
        ch.sender().send("a");
        assertEquals(new TryRecv.Value<>("a"), get(f));
        AtomicReference<TryRecv<String>> got = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                got.set(ch.receiver().blockingRecv());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        await("receiver parked", () -> TestSupport.isWaiting(t));
        ch.sender().send("b");
        t.join(TestSupport.DEADLINE.toMillis());
        assertEquals(new TryRecv.Value<>("b"), got.get());
    }

    @Test
    void closedOnlyAfterAllSendersGoneAndEverythingRead() {
        Broadcast.Channel<String> ch = Broadcast.channel(4);
        BroadcastSender<String> s2 = ch.sender().clone();
        ch.sender().send("a");
        ch.sender().close();
        ch.sender().close();
        assertEquals(new TryRecv.Value<>("a"), ch.receiver().tryRecv());
        assertEquals(TryRecv.empty(), ch.receiver().tryRecv()); // s2 still open
        s2.send("b");
        s2.close();
        assertEquals(new TryRecv.Value<>("b"), ch.receiver().tryRecv());
        assertEquals(TryRecv.closed(), ch.receiver().tryRecv());
        assertEquals(TryRecv.closed(), get(ch.receiver().recv()));
    }

    @Test
    void pendingRecvCompletesClosedWhenLastSenderCloses() {
        Broadcast.Channel<String> ch = Broadcast.channel(4);
        CompletableFuture<TryRecv<String>> f = ch.receiver().recv().toCompletableFuture();
        ch.sender().close();
        assertEquals(TryRecv.closed(), get(f));
    }

    @Test
    void slowReceiverDoesNotSlowTheSenderOrOthers() {
        Broadcast.Channel<Integer> ch = Broadcast.channel(4);
        BroadcastReceiver<Integer> fast = ch.sender().subscribe();
        for (int i = 0; i < 100; i++) {
            assertEquals(2, ch.sender().send(i)); // never waits for the slow one
            assertEquals(new TryRecv.Value<>(i), fast.tryRecv());
        }
        assertEquals(new TryRecv.Lagged<>(96), ch.receiver().tryRecv());
    }

    @Test
    void cancelledRecvTakesNothing() {
        Broadcast.Channel<String> ch = Broadcast.channel(4);
        CompletableFuture<TryRecv<String>> f = ch.receiver().recv().toCompletableFuture();
        assertThrows(IllegalStateException.class, () -> ch.receiver().tryRecv());
        assertTrue(f.cancel(false));
        ch.sender().send("v");
        assertEquals(new TryRecv.Value<>("v"), ch.receiver().tryRecv());
    }

    @Test
    void closedReceiverIsNotCounted() {
        Broadcast.Channel<String> ch = Broadcast.channel(4);
        BroadcastReceiver<String> r2 = ch.sender().subscribe();
        r2.close();
        r2.close();
        assertEquals(1, ch.sender().receiverCount());
        assertEquals(1, ch.sender().send("x"));
    }

    @Test
    void nullRefusedAndBlockingRefusedOnNonBlockingThread() throws Exception {
        Broadcast.Channel<String> ch = Broadcast.channel(4);
        assertThrows(NullPointerException.class, () -> ch.sender().send(null));
        assertThrows(IllegalArgumentException.class, () -> Broadcast.channel(0));
        assertInstanceOf(IllegalStateException.class,
                TestSupport.Worker.runAndCapture(() -> ch.receiver().blockingRecv()));
    }
}
