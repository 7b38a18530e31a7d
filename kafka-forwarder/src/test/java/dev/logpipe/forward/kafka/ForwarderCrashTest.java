package dev.logpipe.forward.kafka;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills a forwarder child JVM with SIGKILL in the middle of a journal that is being written and
 * rotated, restarts it, and stops the second one with SIGTERM; then a {@code read_committed}
 * consumer must find every journal record once, in order (exactly once), or every record at least
 * once (at least once).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForwarderCrashTest {

    static TestBroker broker;

    @TempDir
    Path dir;

    @TempDir
    Path logs;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = TestBroker.start();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    /** A forwarder child and what it printed. */
    final class Child {
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();
        volatile long committed = Long.MIN_VALUE;
        final CompletableFuture<Void> out = new CompletableFuture<>();

        Child(String topic, DeliveryMode mode, int run) throws Exception {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Dchronicle")) {
                    cmd.add(a);
                }
            }
            cmd.addAll(List.of("-Dchronicle.analytics.disable=true", "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                    ForwarderChildMain.class.getName(), dir.toString(), broker.bootstrap(), topic, mode.name()));
            process = new ProcessBuilder(cmd).redirectError(logs.resolve("child-" + run + ".err").toFile()).start();
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                        if (line.startsWith("COMMITTED ")) {
                            committed = Long.parseLong(line.substring(10));
                        }
                    }
                    out.complete(null);
                } catch (Exception e) {
                    out.completeExceptionally(e);
                }
            }, "child-out-" + run);
            t.setDaemon(true);
            t.start();
        }

        String err(int run) throws Exception {
            return Files.readString(logs.resolve("child-" + run + ".err"));
        }
    }

    @Test
    void exactlyOnceAcrossSigkillAndRestart() throws Exception {
        List<TestBroker.Got> got = crashAndRestart("crash-eos", DeliveryMode.EXACTLY_ONCE);
        for (int n = 0; n < got.size(); n++) {
            assertEquals(n, TestJournal.numberOf(got.get(n).value()), "record " + n + " once, in order");
        }
    }

    @Test
    void atLeastOnceLosesNothingAcrossSigkillAndRestart() throws Exception {
        List<TestBroker.Got> got = crashAndRestart("crash-alo", DeliveryMode.AT_LEAST_ONCE);
        long expectedNext = 0;
        int duplicates = 0;
        for (TestBroker.Got g : got) {
            long n = TestJournal.numberOf(g.value());
            if (n < expectedNext) {
                duplicates++; // a resend of a record acknowledged before the crash
            } else {
                assertEquals(expectedNext, n, "no record missing, new ones in order");
                expectedNext++;
            }
        }
        System.out.println("at least once across SIGKILL: " + duplicates + " duplicates of " + got.size());
    }

    /** Returns what a read_committed consumer finds; asserts the count for exactly once. */
    private List<TestBroker.Got> crashAndRestart(String topic, DeliveryMode mode) throws Exception {
        broker.createTopic(topic, 1);
        int total;
        try (TestJournal j = new TestJournal(dir)) {
            j.append(500);
            CompletableFuture<Void> feeder = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 30; i++) {
                        j.append(150);
                        if (i % 6 == 5) {
                            j.roll();
                        }
                        Thread.sleep(15);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Child first = new Child(topic, mode, 1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (first.committed < 0 || first.lines.stream().filter(l -> l.startsWith("COMMITTED")).count() < 4) {
                assertTrue(System.nanoTime() < deadline && first.process.isAlive(),
                        "first child did not commit: " + first.lines + "\n" + first.err(1));
                Thread.sleep(5);
            }
            first.process.destroyForcibly(); // SIGKILL, in the middle of the stream
            assertTrue(first.process.waitFor(20, TimeUnit.SECONDS));
            assertEquals(137, first.process.exitValue(), "killed");

            Child second = new Child(topic, mode, 2);
            feeder.get(60, TimeUnit.SECONDS);
            List<dev.logpipe.filesink.ReadRecord> journal = j.readAll();
            total = journal.size();
            long last = journal.get(total - 1).index();
            while (second.committed != last) {
                assertTrue(System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(30) && second.process.isAlive(),
                        "second child did not catch up: " + second.committed + " of " + last + "\n" + second.err(2));
                Thread.sleep(10);
            }
            second.process.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its output)
            assertTrue(second.process.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, second.process.exitValue(), "SIGTERM exits 0\n" + second.err(2));
            second.out.get(5, TimeUnit.SECONDS);
            assertTrue(second.lines.contains("CLOSED " + last + " STOPPED"), second.lines.toString());
        }
        List<TestBroker.Got> got = broker.readCommitted(topic, total, Duration.ofSeconds(30));
        if (mode == DeliveryMode.EXACTLY_ONCE) {
            assertEquals(total, got.size(), "every record once");
        } else {
            assertTrue(got.size() >= total, "at least every record: " + got.size() + " of " + total);
        }
        return got;
    }
}
