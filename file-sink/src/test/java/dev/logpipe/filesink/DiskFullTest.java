package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.SendResult;
import dev.logpipe.runtime.TaskRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal on a 3 MiB tmpfs fills up: the writer must see it coming (free-space check, no SIGBUS),
 * pause with every accepted record kept and the producer held back, and resume by itself, in order,
 * once the tmpfs is grown. Needs permission to mount a tmpfs (root on Linux); skipped otherwise.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiskFullTest {

    @TempDir
    Path mountPoint;

    TaskRuntime runtime;
    boolean mounted;

    @BeforeEach
    void mount() throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint.toString())
                    .redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("cannot run mount: " + e.getMessage());
            return;
        }
        mounted = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a tmpfs here (needs root); disk-full test skipped");
        runtime = TaskRuntime.builder().workerThreads(2).maxBlockingThreads(4).threadNamePrefix("test").build();
    }

    @AfterEach
    void unmount() throws Exception {
        if (runtime != null) {
            runtime.shutdown(Duration.ofSeconds(5));
        }
        if (mounted) {
            // lazy: Chronicle may keep files mapped until its buffers are released
            new ProcessBuilder("umount", "-l", mountPoint.toString()).start().waitFor(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void fullDiskPausesTheWriterAndItResumesWhenTheVolumeGrows() throws Exception {
        Path dir = mountPoint.resolve("journal");
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        FileSink sink = FileSink.builder(dir).runtime(runtime).minFreeBytes(256 << 10)
                .spaceCheckInterval(Duration.ofMillis(20)).listener(new SinkListener() {
                    @Override
                    public void onError(Throwable t) {
                        errors.add(t);
                    }
                }).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        String body = "x".repeat(1000);
        int total = 20_000; // 20 MB would not fit in 3 MiB
        AtomicLong sent = new AtomicLong();
        AtomicReference<Object> trouble = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            try {
                for (int i = 0; i < total; i++) {
                    SendResult<AppendRequest> r = ch.sender().blockingSend(AppendRequest.of(
                            LogRecord.builder().message(body).field("n", Integer.toString(i)).build()));
                    if (!r.isSent()) {
                        trouble.set(r);
                        return;
                    }
                    sent.incrementAndGet();
                }
            } catch (Throwable t) {
                trouble.set(t);
            }
        }, "test-producer");
        producer.setDaemon(true);
        producer.start();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (sink.journalState() != JournalState.PAUSED || ch.receiver().len() < 64) {
            assertTrue(System.nanoTime() < deadline, "the writer did not pause: " + sink.stats());
            assertTrue(errors.isEmpty(), "no error: " + errors);
            Thread.sleep(5); // polling interval
        }
        assertTrue(producer.isAlive(), "the producer is held back");
        assertEquals(null, trouble.get());
        assertTrue(sink.stats().writtenRecords() < total);

        Process grow = new ProcessBuilder("mount", "-o", "remount,size=64m", mountPoint.toString())
                .redirectErrorStream(true).start();
        assertTrue(grow.waitFor(20, TimeUnit.SECONDS) && grow.exitValue() == 0, "remount the tmpfs larger");

        producer.join(30_000);
        assertEquals(null, trouble.get());
        assertEquals(total, sent.get());
        ch.sender().close();
        WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertTrue(report.clean(), report.toString());
        assertTrue(errors.isEmpty(), errors.toString());
        assertTrue(sink.stats().pauses() >= 1);
        assertEquals(total, report.writtenRecords());

        long read = 0;
        try (JournalReader r = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                assertEquals(read, Long.parseLong(rr.record().fields().get("n").text()));
                read++;
            }
        }
        assertEquals(total, read, "every record exactly once, in order");
    }
}
