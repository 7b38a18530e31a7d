package dev.logpipe.channels;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of the bounded mpsc's non-waiting operations (Lincheck): concurrent
 * {@code trySend}, {@code tryReserve}+{@code Permit.send}, receiver {@code close}, a sender
 * {@code close} and the single consumer's {@code tryRecv}. Lincheck runs each scenario on this
 * very class sequentially to find a matching order, so the sequential behaviour is the channel's
 * own (checked row by row in {@link BoundedMpscTest}); this checks that concurrency adds nothing.
 */
public class MpscLincheckTest {
    private final Mpsc.Channel<Integer> ch = Mpsc.bounded(2);
    private final MpscSender<Integer> extra = ch.sender().clone();

    @Operation
    public String trySend(int v) {
        return describe(ch.sender().trySend(v));
    }

    @Operation
    public String reserveAndSend(int v) {
        return ch.sender().tryReserve().map(p -> {
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

    @Operation(runOnce = true)
    public void closeSenders() {
        ch.sender().close();
        extra.close();
    }

    @Operation
    public long capacity() {
        return ch.sender().capacity();
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
                .iterations(3)
                .invocationsPerIteration(50)
                .threads(3)
                .actorsPerThread(3)
                .check(getClass());
    }
}
