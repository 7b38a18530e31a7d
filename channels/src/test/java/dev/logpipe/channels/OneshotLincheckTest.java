package dev.logpipe.channels;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Linearizability of the oneshot channel (Lincheck): send, both closes and tryRecv, concurrently. */
public class OneshotLincheckTest {
    private final Oneshot.Channel<Integer> ch = Oneshot.channel();

    @Operation
    public String send(int v) {
        return ch.sender().send(v).isSent() ? "Sent" : "Closed";
    }

    @Operation(nonParallelGroup = "consumer")
    public String tryRecv() {
        TryRecv<Integer> r = ch.receiver().tryRecv();
        return r instanceof TryRecv.Value<Integer> v ? "Value(" + v.value() + ")" : r.toString();
    }

    @Operation
    public void closeSender() {
        ch.sender().close();
    }

    @Operation
    public void closeReceiver() {
        ch.receiver().close();
    }

    @Operation
    public boolean senderSeesClosed() {
        return ch.sender().isClosed();
    }

    @Test
    @Timeout(300)
    void modelChecking() {
        new ModelCheckingOptions()
                .iterations(3)
                .invocationsPerIteration(40)
                .threads(3)
                .actorsPerThread(2)
                .check(getClass());
    }
}
