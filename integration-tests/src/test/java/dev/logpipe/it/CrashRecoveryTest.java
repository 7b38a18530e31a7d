package dev.logpipe.it;

import dev.logpipe.filesink.JournalVerifier;
import dev.logpipe.filesink.VerifyReport;
import dev.logpipe.testsupport.Conditions;
import dev.logpipe.it.support.JournalScan;
import dev.logpipe.it.support.ProducerGroup;
import dev.logpipe.it.support.ServeProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promise "Crash": SIGKILL to a {@code logpipe serve} child in the middle of a load run, restart on
 * the same directory, keep sending. The journal opens; no record is duplicated or torn; at least
 * every record the server reported written (and so every one it reported durable) just before the
 * kill is there, each client's as a gap-free prefix in order; appending continues after the
 * restart; the verifier finds no damage.
 */
class CrashRecoveryTest {

    private static final int CLIENTS = 8;
    private static final long SECOND_RUN_PER_CLIENT = 2_500;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void sigkillMidLoadThenRestartKeepsEveryWrittenRecordOnce() throws Exception {
        Path data = dir.resolve("data");
        long writtenBeforeKill;
        long durableBeforeKill;
        try (ServeProcess first = ServeProcess.start(data, dir, "serve-1", List.of("-Xmx256m"), "--sync-interval", "100ms")) {
            ProducerGroup load = new ProducerGroup("r1c", CLIENTS, first.port(), Long.MAX_VALUE, 16).start();
            try {
                Conditions.await(Duration.ofSeconds(60), "15,000 durable records in the first run",
                        () -> first.metric("logpipe_durable_records_total") >= 15_000, first::output);
                Map<String, Double> m = first.metrics(); // the last word before the kill
                writtenBeforeKill = m.getOrDefault("logpipe_written_records_total", 0.0).longValue();
                durableBeforeKill = m.getOrDefault("logpipe_durable_records_total", 0.0).longValue();
                first.sigkill();
            } finally {
                load.stop();
            }
            load.join(60);
        }
        assertTrue(durableBeforeKill > 0 && writtenBeforeKill >= durableBeforeKill,
                "written " + writtenBeforeKill + ", durable " + durableBeforeKill);

        try (ServeProcess second = ServeProcess.start(data, dir, "serve-2", List.of("-Xmx256m"), "--sync-interval", "100ms")) {
            ProducerGroup more = new ProducerGroup("r2c", CLIENTS, second.port(), SECOND_RUN_PER_CLIENT, 16).start();
            more.join(120);
            more.assertNoFailure();
            Conditions.await(Duration.ofSeconds(60), "the second run's records written",
                    () -> second.metric("logpipe_written_records_total") >= CLIENTS * SECOND_RUN_PER_CLIENT, second::output);
            second.sigterm();
            assertEquals(0, second.awaitExit(Duration.ofSeconds(60)), "second run's exit code\n" + second.output());
        }

        JournalScan scan = JournalScan.read(data);
        assertEquals(List.of(), scan.damaged(), "torn or damaged records after the crash");
        assertEquals(List.of(), scan.unmarked(), "records no client sent");
        assertTrue(scan.indexesIncreasing(), "journal indexes increase");
        long firstRun = 0;
        long lastFirstRunIndex = -1;
        for (int i = 0; i < CLIENTS; i++) {
            firstRun += scan.assertContiguousFromZero("r1c" + i);
            long[] idx = scan.indexes("r1c" + i);
            if (idx.length > 0) {
                lastFirstRunIndex = Math.max(lastFirstRunIndex, idx[idx.length - 1]);
            }
        }
        assertTrue(firstRun >= writtenBeforeKill, "first run: " + firstRun + " records in the journal, but serve reported "
                + writtenBeforeKill + " written (" + durableBeforeKill + " durable) just before SIGKILL");
        for (int i = 0; i < CLIENTS; i++) {
            scan.assertExactly("r2c" + i, SECOND_RUN_PER_CLIENT);
            long firstSecondRunIndex = scan.indexes("r2c" + i)[0];
            assertTrue(firstSecondRunIndex > lastFirstRunIndex, "the restarted writer appends after the last record");
        }
        VerifyReport report = JournalVerifier.verify(data);
        assertTrue(report.ok(), "JournalVerifier after crash and restart: " + report);
        assertEquals(scan.records(), report.records(), "verifier and reader agree on the record count");
        System.out.printf("crash: written %d / durable %d before SIGKILL, %d first-run records in the journal, %s%n",
                writtenBeforeKill, durableBeforeKill, firstRun, report);
    }

}
