package dev.logpipe.channels;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of the bounded mpsc's non-waiting operations (Lincheck): concurrent
 * {@code trySend}, {@code tryReserve}+{@code Permit.send}, receiver {@code close}, closing a
 * counted clone and the single consumer's {@code tryRecv}. Sends go through a handle that no
 * operation closes: sending through a handle while closing that same handle is misuse (Tokio makes
 * it impossible), and the end of stream after all senders close is covered by the stress tests. Lincheck runs each scenario on this
 * very class sequentially to find a matching order, so the sequential behaviour is the channel's
 * own (checked row by row in {@link BoundedMpscTest}); this checks that concurrency adds nothing.
 */
public class MpscLincheckTest {
    private final Mpsc.Channel<Integer> ch = Mpsc.bounded(2);
    private final MpscSender<Integer> sender = ch.sender();
    private final MpscSender<Integer> clone = sender.clone();

    @Operation
    public String trySend(int v) {
        return describe(sender.trySend(v));
    }

    @Operation
    public String reserveAndSend(int v) {
        return sender.tryReserve().map(p -> {
            p.send(v);
            return "Sent";
        }).orElse("NoPermit");
    }

    @Operation(nonParallelGroup = "consumer")
    public String tryRecv() {
        TryRecv<Integer> r = ch.receiver().tryRecv();
        return r instanceof TryRecv.Value<Integer> v ? "Value(" + v.value() + ")" : r.toString();
    }

    @Operation
    public void closeReceiver() {
        ch.receiver().close();
    }

    @Operation
    public void closeClone() {
        clone.close(); // idempotent; the channel stays open through the other handle
    }

    @Operation
    public long capacity() {
        return sender.capacity();
    }

    private static String describe(SendResult<Integer> r) {
        if (r.isSent()) {
            return "Sent";
        }
        return r instanceof SendResult.Full ? "Full" : r instanceof SendResult.Closed ? "Closed" : r.toString();
    }

    @Test
    @Timeout(300)
    void modelChecking() {
        new ModelCheckingOptions()
                .iterations(12)
                .invocationsPerIteration(40)
                .threads(2)
                .actorsPerThread(2)
                .check(getClass());
    }
}
