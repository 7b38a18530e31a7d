package dev.logpipe.filesink;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

class ScratchDebugTest {
    @TempDir Path tmp;
    @Test
    void debug() throws Exception {
        DamagedJournals j = DamagedJournals.write(tmp.resolve("p"));
        System.out.println("EXCERPTS " + j.excerpts());
        Path d = j.copyTo(tmp.resolve("c"));
        try (var q = dev.logpipe.filesink.internal.queue.JournalQueues.openReadOnly(d, RollCycle.MINUTELY); ExcerptTailer t = q.createTailer()) {
            for (int i = 0; i < 3; i++) try (DocumentContext dc = t.readingDocument()) {
                System.out.println("POS " + dc.index() + " rp " + dc.wire().bytes().readPosition() + " rl " + dc.wire().bytes().readLimit());
            }
        }
        var s1 = j.excerpts(1);
        DamagedJournals.zero(j.segment(d, 1), s1.get(0).position(), s1.get(0).end());
        List<String> notes = new ArrayList<>();
        System.out.println("READ " + DamageMatrixTest.readAll(JournalReader.builder(d).fromStart(), notes) + " " + notes);
        System.out.println("VERIFY " + JournalVerifier.verify(d));
    }
}
