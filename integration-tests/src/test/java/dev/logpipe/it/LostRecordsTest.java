package dev.logpipe.it;

import dev.logpipe.testsupport.Conditions;
import dev.logpipe.it.support.ServeProcess;
import dev.logpipe.it.support.TcpProducer;
import dev.logpipe.it.support.WireFrames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A shutdown that runs out of {@code --drain-timeout} with records still held: the ERROR log, the
 * shutdown summary and the exit status say the same thing, with the same number. The journal is
 * kept paused from the start by a {@code --min-free} of the whole file system less one byte (serve
 * refuses one no smaller than the file system; some of it is always in use), so exactly the records
 * sent are held when SIGTERM comes.
 */
class LostRecordsTest {

    private static final long RECORDS = 2_000;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void recordsHeldPastTheDrainTimeoutAreLostInTheLogTheSummaryAndTheExitStatus() throws Exception {
        String minFree = Long.toString(java.nio.file.Files.getFileStore(dir).getTotalSpace() - 1);
        try (ServeProcess serve = ServeProcess.start(dir.resolve("data"), dir, "serve", List.of("-Xmx256m"),
                "--min-free", minFree, "--drain-timeout", "300ms")) {
            assertEquals(503, serve.get("/ready").statusCode());
            assertEquals("paused\n", serve.get("/ready").body());
            TcpProducer client = new TcpProducer("l", WireFrames.Format.NDJSON, serve.port(), RECORDS, () -> false, 100);
            Thread t = new Thread(client, "it-producer-lost");
            t.setDaemon(true);
            t.start();
            Conditions.await(Duration.ofSeconds(60), "every record received and held in flight",
                    () -> serve.metric("logpipe_records_in_flight") == RECORDS
                            && serve.metric("logpipe_received_records_total{format=\"json\"}") == RECORDS, serve::output);
            assertEquals(0, serve.metric("logpipe_written_records_total"));

            serve.sigterm();
            assertEquals(1, serve.awaitExit(Duration.ofSeconds(60)), "records were lost: exit 1\n" + serve.output());
            String out = serve.stdout();
            assertTrue(out.contains("LOST      2,000 records accepted but not stored (drain_timeout 2,000)"), serve.output());
            assertTrue(serve.stderr().contains("2000 accepted record(s) were not stored and are counted as lost:"
                    + " {drain_timeout=2000}"), serve.output());
            assertTrue(serve.stderr().contains("logpipe serve: 2000 accepted records could not be stored (drain_timeout 2,000)"),
                    serve.output());
            t.join(30_000);
        }
    }
}
