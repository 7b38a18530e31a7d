package dev.logpipe.forward.kafka.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AckedPrefixTest {

    final AtomicReference<Exception> failure = new AtomicReference<>();

    List<AckedPrefix.Sent> send(AckedPrefix p, long... indexes) {
        List<AckedPrefix.Sent> out = new ArrayList<>();
        for (long i : indexes) {
            out.add(p.track(i, 1_000 + i, (md, e) -> failure.compareAndSet(null, e), null));
        }
        return out;
    }

    @Test
    void movesOnlyOverAnUnbrokenPrefixOfAcknowledgedRecords() {
        AckedPrefix p = new AckedPrefix(9);
        List<AckedPrefix.Sent> s = send(p, 10, 11, 12, 13, 14);
        // acknowledgements out of order, as records of different partitions come back
        s.get(1).onCompletion(null, null);
        s.get(3).onCompletion(null, null);
        assertEquals(0, p.advance(), "10 is not acknowledged: nothing moves");
        assertEquals(9, p.position());
        assertEquals(1_010, p.oldestReceiveNanos(-1));
        s.get(0).onCompletion(null, null);
        assertEquals(2, p.advance());
        assertEquals(11, p.position(), "10 and 11; 12 holds the rest");
        s.get(4).onCompletion(null, null);
        assertEquals(0, p.advance());
        s.get(2).onCompletion(null, null);
        assertEquals(3, p.advance());
        assertEquals(14, p.position());
        assertEquals(0, p.pending());
        assertEquals(-1, p.oldestReceiveNanos(-1));
    }

    @Test
    void aFailedSendHoldsThePositionBeforeItAndIsReported() {
        AckedPrefix p = new AckedPrefix(-1);
        List<AckedPrefix.Sent> s = send(p, 1, 2, 3);
        s.get(0).onCompletion(null, null);
        RuntimeException boom = new RuntimeException("timed out");
        s.get(1).onCompletion(null, boom);
        s.get(2).onCompletion(null, null);
        assertEquals(1, p.advance());
        assertEquals(1, p.position(), "never past the failed record, though 3 was acknowledged");
        assertSame(boom, failure.get());
        assertEquals(2, p.clear(), "2 and 3 will be sent again (3 as a duplicate)");
        assertEquals(1, p.position());
    }

    @Test
    void recordsMustComeInJournalOrder() {
        AckedPrefix p = new AckedPrefix(5);
        assertThrows(IllegalArgumentException.class, () -> send(p, 5));
        send(p, 7);
        assertThrows(IllegalArgumentException.class, () -> send(p, 6));
    }
}
