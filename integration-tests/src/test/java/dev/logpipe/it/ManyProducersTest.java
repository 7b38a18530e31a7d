package dev.logpipe.it;

import dev.logpipe.collector.Durability;
import dev.logpipe.collector.Emitter;
import dev.logpipe.collector.ListenerConfig;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.PipelineStats;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.it.support.JournalScan;
import dev.logpipe.it.support.TcpProducer;
import dev.logpipe.it.support.WireFrames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promises "Order" and exactly-once storage with many producers at once: 32 TCP connections in four
 * wire formats and 8 in-process emitter threads write {@code it.records} records (default 500,000;
 * about 15 s on the 2-core machine when quiet, 52-63 s when other builds saturate it; lower it with
 * {@code -Dit.records=} on a slower machine)
 * into one pipeline; the journal then holds each exactly once, every producer's in the order sent,
 * and every emitter's record at the index its future reported.
 */
class ManyProducersTest {

    private static final int CONNECTIONS = 32;
    private static final int EMITTERS = 8;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void thirtyTwoConnectionsAndEightEmittersStoreEveryRecordOnceInOrder() throws Exception {
        long total = Long.getLong("it.records", 500_000);
        long perProducer = total / (CONNECTIONS + EMITTERS);
        Path data = dir.resolve("data");
        LogPipeline pipeline = LogPipeline.builder(data)
                .listener(ListenerConfig.builder().bindAddress("127.0.0.1").port(0).build())
                .start();
        try {
            WireFrames.Format[] formats = WireFrames.Format.values();
            List<TcpProducer> producers = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < CONNECTIONS; c++) {
                TcpProducer p = new TcpProducer("c" + c, formats[c % formats.length], pipeline.tcpPort(), perProducer,
                        () -> false, 256);
                producers.add(p);
                threads.add(new Thread(p, "it-producer-c" + c));
            }
            long[][] emitterIndexes = new long[EMITTERS][];
            AtomicReference<Throwable> emitterFailure = new AtomicReference<>();
            for (int e = 0; e < EMITTERS; e++) {
                int id = e;
                Emitter emitter = pipeline.emitter("it-emitter-" + e);
                long[] idx = new long[(int) perProducer];
                emitterIndexes[e] = idx;
                threads.add(new Thread(() -> {
                    try {
                        emitAll(emitter, "e" + id, perProducer, idx);
                    } catch (Throwable t) {
                        emitterFailure.compareAndSet(null, t);
                    }
                }, "it-emitter-" + e));
            }
            long start = System.nanoTime();
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(200));
                assertTrue(!t.isAlive(), t.getName() + " still running after 200 s");
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            for (TcpProducer p : producers) {
                assertNull(p.failure(), p + " failed");
                assertEquals(perProducer, p.flushed(), p + " did not send everything");
            }
            assertNull(emitterFailure.get(), "an emitter thread failed: " + emitterFailure.get());

            pipeline.close();
            PipelineStats stats = pipeline.stats();
            long expected = perProducer * (CONNECTIONS + EMITTERS);
            System.out.printf("many producers: %,d records in %.1f s (%,.0f records/s) %s%n",
                    expected, seconds, expected / seconds, stats);
            assertEquals(expected, stats.receivedTotal(), "records the pipeline says it received");
            assertEquals(expected, stats.writtenRecords(), "records the pipeline says it wrote");
            assertEquals(0, stats.lostRecords(), "records the pipeline says it lost");

            JournalScan scan = JournalScan.read(data);
            assertEquals(List.of(), scan.damaged(), "damaged records in the journal");
            assertEquals(List.of(), scan.unmarked(), "records in the journal that no producer sent");
            assertTrue(scan.indexesIncreasing(), "journal indexes must increase in reading order");
            for (TcpProducer p : producers) {
                scan.assertExactly(p.id(), perProducer);
            }
            for (int e = 0; e < EMITTERS; e++) {
                scan.assertExactly("e" + e, perProducer);
                assertArrayEquals(emitterIndexes[e], scan.indexes("e" + e),
                        "emitter e" + e + ": the indexes its futures reported are where the journal holds its records");
            }
            assertEquals(expected, scan.records(), "records in the journal");
        } finally {
            pipeline.close();
        }
    }

    /**
     * Emits {@code 0 .. n-1}, completing with the written index of each into {@code idx}; at most
     * 1024 emits in flight, so a slow writer slows this thread instead of piling up futures.
     */
    private static void emitAll(Emitter emitter, String id, long n, long[] idx) throws Exception {
        CompletableFuture<?>[] window = new CompletableFuture<?>[1024];
        for (int seq = 0; seq < n; seq++) {
            int slot = seq % window.length;
            if (window[slot] != null) {
                window[slot].get(120, TimeUnit.SECONDS);
            }
            LogRecord r = LogRecord.builder().level(Level.INFO).service("it").host("h-" + id)
                    .message(WireFrames.message(id, seq)).field("seq", Integer.toString(seq)).build();
            int s = seq;
            window[slot] = emitter.emit(r, Durability.WRITTEN).toCompletableFuture().thenAccept(i -> idx[s] = i);
        }
        CompletableFuture.allOf(java.util.Arrays.stream(window).filter(f -> f != null)
                .toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    }

}
