package dev.logpipe.channels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Runs the mpsc contract against {@link Mpsc#unbounded}, plus its own row: sends never wait. */
class UnboundedMpscTest extends MpscContractTest {
    @Override
    <T> Mpsc.Channel<T> create(int capacity) {
        return Mpsc.unbounded();
    }

    @Test
    void sendsNeverWaitOrFailUntilClosed() {
        Mpsc.Channel<Integer> ch = Mpsc.unbounded();
        for (int i = 0; i < 5000; i++) { // crosses several internal chunks
            assertTrue(ch.sender().trySend(i).isSent());
            assertTrue(ch.sender().send(i).toCompletableFuture().isDone());
        }
        assertEquals(Long.MAX_VALUE, ch.sender().maxCapacity());
        for (int i = 0; i < 5000; i++) {
            assertEquals(new TryRecv.Value<>(i), ch.receiver().tryRecv());
            assertEquals(new TryRecv.Value<>(i), ch.receiver().tryRecv());
        }
    }
}
