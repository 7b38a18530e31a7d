package dev.logpipe.it;

import dev.logpipe.testsupport.Conditions;
import dev.logpipe.it.support.JournalScan;
import dev.logpipe.it.support.ProducerGroup;
import dev.logpipe.it.support.ServeProcess;
import dev.logpipe.it.support.TcpProducer;
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
 * Promise "Memory stays bounded whatever the offered load; backpressure reaches the client": a
 * {@code logpipe serve} child with a 128 MiB heap, a sync after every batch and a tiny channel,
 * flooded by 8 clients sending as fast as they can for several seconds. The server stays alive
 * with bounded memory, connections pause (counted), the clients are slowed, not failed, and no
 * record is lost.
 */
class BackpressureTest {

    private static final int CLIENTS = 8;
    private static final Duration FLOOD = Duration.ofSeconds(6);
    /** Anonymous RSS bound for a 128 MiB heap: heap + metaspace + code cache + Netty buffers + stacks. */
    private static final long MAX_RSS_ANON_KIB = 400 * 1024;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void floodedServerPausesReadersLosesNothingAndStaysBounded() throws Exception {
        Path data = dir.resolve("data");
        try (ServeProcess serve = ServeProcess.start(data, dir, "serve", List.of("-Xmx128m"),
                "--sync-interval", "batch", "--channel-records", "64", "--channel-bytes", "256KiB", "--max-frame", "64KiB")) {
            ProducerGroup clients = new ProducerGroup("b", CLIENTS, serve.port(), Long.MAX_VALUE, 64).start();
            long[] peakRss = {0};
            long floodEnd = System.nanoTime() + FLOOD.toNanos();
            try {
                // offer load for FLOOD (a bounded load loop), sampling memory while it lasts
                Conditions.await(FLOOD.plusSeconds(60), "the flood to last " + FLOOD + " with backpressure engaged", () -> {
                    assertTrue(serve.isAlive(), "serve died under load\n" + serve.output());
                    peakRss[0] = Math.max(peakRss[0], serve.rssAnonKib());
                    return System.nanoTime() - floodEnd > 0 && serve.metric("logpipe_backpressure_pauses_total") > 0;
                }, serve::output);
            } finally {
                clients.stop();
            }
            clients.join(90); // each client waits for the server to close its connection after end of stream
            clients.assertNoFailure();
            long sent = clients.flushedTotal();
            Conditions.await(Duration.ofSeconds(60), "all " + sent + " records written", () -> {
                peakRss[0] = Math.max(peakRss[0], serve.rssAnonKib());
                return serve.metric("logpipe_written_records_total") >= sent;
            }, () -> "written " + serve.metric("logpipe_written_records_total") + "\n" + serve.output());
            long pauses = serve.metric("logpipe_backpressure_pauses_total");
            serve.sigterm();
            assertEquals(0, serve.awaitExit(Duration.ofSeconds(60)), "exit code\n" + serve.output());

            System.out.printf("backpressure: %,d records sent by %d clients in ~%s, %,d pauses, peak RssAnon %,d KiB%n",
                    sent, CLIENTS, FLOOD, pauses, peakRss[0]);
            assertTrue(pauses > 0, "backpressure pauses counted");
            assertTrue(peakRss[0] > 0 && peakRss[0] < MAX_RSS_ANON_KIB,
                    "server anonymous RSS peaked at " + peakRss[0] + " KiB (bound " + MAX_RSS_ANON_KIB + " KiB)");
            JournalScan scan = JournalScan.read(data);
            assertEquals(List.of(), scan.damaged());
            for (TcpProducer p : clients.producers()) {
                scan.assertExactly(p.id(), p.flushed());
            }
            assertEquals(sent, scan.records());
        }
    }
}
