package dev.logpipe.filesink.internal.queue;

import dev.logpipe.filesink.RollCycle;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalQueuesTest {

    @Test
    void segmentFileNamesMapBackToTheirCycleForEveryRollCycle() {
        Path dir = Path.of("/data");
        Instant t = Instant.parse("2026-11-25T17:42:13Z");
        for (RollCycle rc : RollCycle.values()) {
            net.openhft.chronicle.queue.RollCycle c = ChronicleRollCycles.of(rc);
            int cycle = (int) (t.toEpochMilli() / c.lengthInMillis());
            Path f = JournalQueues.segmentFile(dir, rc, cycle);
            assertEquals(cycle, JournalQueues.cycleOf(rc, f), f.toString());
            assertEquals(cycle + 1, JournalQueues.cycleOf(rc, JournalQueues.segmentFile(dir, rc, cycle + 1)));
            assertTrue(!JournalQueues.cycleStart(rc, cycle).isAfter(t));
            assertEquals(-1, JournalQueues.cycleOf(rc, dir.resolve("metadata.cq4t")));
        }
        assertEquals("20261125-1742LM.cq4", JournalQueues.segmentFile(dir, RollCycle.MINUTELY,
                (int) (t.toEpochMilli() / 60_000)).getFileName().toString());
        assertEquals("20261125-17LS.cq4", JournalQueues.segmentFile(dir, RollCycle.HOURLY,
                (int) (t.toEpochMilli() / 3_600_000)).getFileName().toString());
        assertEquals("20261125X.cq4", JournalQueues.segmentFile(dir, RollCycle.DAILY,
                (int) (t.toEpochMilli() / 86_400_000)).getFileName().toString());
        // another roll cycle's files are not this one's segments
        assertEquals(-1, JournalQueues.cycleOf(RollCycle.HOURLY, dir.resolve("20261125-1742LM.cq4")));
    }

    @Test
    void rollCyclesHoldWellOverAMillionRecordsPerSecond() {
        for (RollCycle rc : RollCycle.values()) {
            net.openhft.chronicle.queue.RollCycle c = ChronicleRollCycles.of(rc);
            double perSecond = c.maxMessagesPerCycle() * 1000.0 / c.lengthInMillis();
            assertTrue(perSecond >= 3_000_000, rc + " holds only " + perSecond + "/s");
            assertEquals(rc.maxRecordsPerCycle(), c.maxMessagesPerCycle(), rc.toString());
            assertEquals(rc.length().toMillis(), c.lengthInMillis());
        }
    }
}
