package dev.logpipe.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logpipe.it.support.ChildJvm;
import dev.logpipe.testsupport.Conditions;
import dev.logpipe.it.support.ServeProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line end to end (issue 5): a real {@code logpipe serve} child driven by
 * {@code logpipe send} and read by {@code logpipe tail} and {@code logpipe verify}, each its own
 * process, as a user would run them. One server serves every test (a child JVM is slow to start on a
 * loaded machine); each test tells its records apart by content, and the last one stops the server
 * and verifies the journal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliEndToEndTest {

    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir; // static: a PER_CLASS @BeforeAll runs before instance fields are injected

    private Path data;
    private ServeProcess serve;

    @BeforeAll
    void startServe() throws Exception {
        data = dir.resolve("data");
        serve = ServeProcess.start(data, dir, "serve", List.of("-Xmx256m"));
    }

    @AfterAll
    void stopServe() throws Exception {
        if (serve != null) {
            serve.close();
        }
    }

    private ChildJvm.Result logpipe(byte[] stdin, String... args) throws Exception {
        return ChildJvm.run(dir.resolve("cli"), CLI_TIMEOUT, stdin, args);
    }

    private void sendJson(List<String> lines) throws Exception {
        byte[] in = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        ChildJvm.Result r = logpipe(in, "send", "--port", Integer.toString(serve.port()), "--format", "json", "-");
        assertEquals(0, r.exitCode(), "logpipe send: " + r);
    }

    /** Sends {@code lines} and waits until the server has written them (on top of what it had). */
    private void sendAndAwaitWritten(List<String> lines) throws Exception {
        long before = serve.metric("logpipe_written_records_total");
        sendJson(lines);
        awaitWritten(before + lines.size());
    }

    private void awaitWritten(long n) {
        Conditions.await(Duration.ofSeconds(30), n + " records written",
                () -> serve.metric("logpipe_written_records_total") >= n,
                () -> "written " + serve.metric("logpipe_written_records_total") + "\n" + serve.output());
    }

    private static String line(String service, String level, String msg) {
        return "{\"level\":\"" + level + "\",\"service\":\"" + service + "\",\"host\":\"web-1\",\"msg\":\"" + msg + "\"}";
    }

    @Test
    @Order(1)
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void tailFollowSeesANewRecordWithinASecond() throws Exception {
        sendAndAwaitWritten(IntStream.range(0, 5).mapToObj(i -> line("cli", "INFO", "before-" + i)).toList());
        Path out = dir.resolve("tail-f.out");
        Path err = dir.resolve("tail-f.err");
        Process tail = ChildJvm.start(out, err, List.of("-Xmx256m"),
                List.of("tail", "--data", data.toString(), "-f", "--format", "text"));
        try {
            // tail -f first prints the last records; once it shows them it is following
            Conditions.await(Duration.ofSeconds(60), "tail -f to print the existing records",
                    () -> ChildJvm.read(out).contains("before-4"),
                    () -> "tail output: " + ChildJvm.read(out) + " err: " + ChildJvm.read(err) + " alive " + tail.isAlive());
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", serve.port()), 10_000);
                OutputStream os = s.getOutputStream();
                long sentAt = System.nanoTime();
                os.write((line("cli", "WARN", "fresh-record") + "\n").getBytes(StandardCharsets.UTF_8));
                os.flush();
                Conditions.await(Duration.ofSeconds(1), "tail -f to print the new record within a second",
                        () -> ChildJvm.read(out).contains("fresh-record"),
                        () -> "tail output: " + ChildJvm.read(out) + " err: " + ChildJvm.read(err));
                System.out.printf("tail -f saw the new record %d ms after the send%n", (System.nanoTime() - sentAt) / 1_000_000);
            }
            String printed = ChildJvm.read(out);
            assertEquals(1, count(printed, "fresh-record"), "the new record printed once: " + printed);
            assertTrue(tail.isAlive(), "tail -f keeps following");
        } finally {
            tail.destroy();
            tail.waitFor(10, TimeUnit.SECONDS);
            tail.destroyForcibly();
        }
    }

    @Test
    @Order(2)
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void tailSinceLandsOnTheFirstRecordReceivedAtOrAfterTheTime() throws Exception {
        sendAndAwaitWritten(IntStream.range(0, 50).mapToObj(i -> line("cli", "INFO", "old-" + i)).toList());
        Instant since = Instant.now();
        // receive times are stamped by the server with this machine's clock: let it pass 'since'
        Conditions.await(Duration.ofSeconds(5), "the clock to move past 'since'",
                () -> Instant.now().isAfter(since.plusMillis(5)));
        sendAndAwaitWritten(IntStream.range(0, 30).mapToObj(i -> line("cli", "INFO", "new-" + i)).toList());

        ChildJvm.Result r = logpipe(null, "tail", "--data", data.toString(), "--since", since.toString(), "--format", "json");
        assertEquals(0, r.exitCode(), r.toString());
        List<String> messages = new ArrayList<>();
        for (String l : r.lines()) {
            messages.add(JSON.readTree(l).path("message").asText());
        }
        assertEquals(IntStream.range(0, 30).mapToObj(i -> "new-" + i).toList(), messages,
                "tail --since " + since + " prints exactly the records received after it, in order");
    }

    @Test
    @Order(3)
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void tailFormatJsonPrintsEveryFieldOfTheRecord() throws Exception {
        sendAndAwaitWritten(List.of("{\"ts\":\"2026-11-25T17:00:00.123456Z\",\"level\":\"ERROR\",\"service\":\"billing\",\"host\":\"db-7\","
                + "\"msg\":\"charge failed\",\"user\":\"alice\",\"attempt\":3,\"tags\":[\"a\",\"b\"]}"));
        ChildJvm.Result r = logpipe(null, "tail", "--data", data.toString(), "--from-start", "--service", "billing",
                "--format", "json");
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(1, r.lines().size(), r.toString());
        JsonNode j = JSON.readTree(r.lines().get(0));
        assertTrue(j.path("index").isIntegralNumber(), "index: " + j);
        assertEquals("2026-11-25T17:00:00.123456Z", j.path("time").asText(), "event time: " + j);
        assertTrue(Instant.parse(j.path("receive_time").asText()).isAfter(Instant.now().minusSeconds(600)), "receive_time: " + j);
        assertEquals("ERROR", j.path("level").asText());
        assertEquals("billing", j.path("service").asText());
        assertEquals("db-7", j.path("host").asText());
        assertEquals("charge failed", j.path("message").asText());
        assertEquals("alice", j.path("fields").path("user").asText(), "fields: " + j);
        assertEquals(3, j.path("fields").path("attempt").asInt(), "fields: " + j);
        assertEquals(List.of("a", "b"), toList(j.path("fields").path("tags")), "fields: " + j);
        assertTrue(j.path("source").asText().startsWith("tcp:127.0.0.1:"), "source: " + j);
        assertEquals("JSON", j.path("format").asText());
        assertTrue(j.path("flags").isArray() && j.path("flags").isEmpty(), "flags: " + j);
    }

    @Test
    @Order(4)
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void verifyExitsZeroOnAGoodJournal() throws Exception {
        sendAndAwaitWritten(IntStream.range(0, 100).mapToObj(i -> line("cli", "INFO", "v-" + i)).toList());
        long written = serve.metric("logpipe_written_records_total");
        serve.sigterm();
        assertEquals(0, serve.awaitExit(Duration.ofSeconds(60)), serve.output());
        ChildJvm.Result r = logpipe(null, "verify", "--data", data.toString());
        assertEquals(0, r.exitCode(), "logpipe verify on a good journal: " + r);
        assertTrue(r.stdout().replace(",", "").contains(Long.toString(written)),
                "verify prints the record count (" + written + "): " + r);
    }

    private static List<String> toList(JsonNode array) {
        List<String> l = new ArrayList<>();
        array.forEach(n -> l.add(n.asText()));
        return l;
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

}
