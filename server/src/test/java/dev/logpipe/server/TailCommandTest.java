package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.SyslogInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(180)
class TailCommandTest {

    /** Record i (0..29) is received at T0 + i minutes; every 5th is a WARN from "billing" on host h2. */
    private static final Instant T0 = Instant.parse("2026-11-25T16:00:00Z");
    private static final int N = 30;

    @TempDir
    static Path dir;
    static TestJournal journal;

    @BeforeAll
    static void write() throws Exception {
        journal = new TestJournal(dir);
        LogRecord[] records = new LogRecord[N];
        for (int i = 0; i < N; i++) {
            boolean warn = i % 5 == 0;
            long t = (T0.getEpochSecond() + i * 60L) * 1_000_000_000L;
            records[i] = LogRecord.builder().eventTimeNanos(t).receiveTimeNanos(t)
                    .level(warn ? Level.WARN : Level.INFO)
                    .service(warn ? "billing" : "web").host(warn ? "h2" : "h1")
                    .message("message " + i).field("i", Integer.toString(i)).fieldJson("n", Integer.toString(i))
                    .source("tcp:127.0.0.1:40000").format(SourceFormat.JSON).build();
        }
        journal.append(records);
    }

    @AfterAll
    static void close() {
        journal.close();
    }

    private static CliRun tail(String... args) {
        return tail(cmd -> { }, args);
    }

    private static CliRun tail(Consumer<TailCommand> setup, String... args) {
        String[] full = new String[args.length + 3];
        full[0] = "tail";
        full[1] = "--data";
        full[2] = dir.toString();
        System.arraycopy(args, 0, full, 3, args.length);
        return CliRun.run(cl -> {
            TailCommand t = (TailCommand) cl.getSubcommands().get("tail").getCommand();
            t.clock = Clock.fixed(T0.plus(Duration.ofMinutes(N)), ZoneOffset.UTC);
            t.stdoutIsTerminal = false;
            setup.accept(t);
        }, full);
    }

    private static List<String> lines(CliRun r) {
        return r.out().isEmpty() ? List.of() : Arrays.asList(r.out().split("\n"));
    }

    private static List<String> messages(CliRun r) {
        return lines(r).stream().map(l -> l.replaceAll(".*(message \\d+).*", "$1")).collect(Collectors.toList());
    }

    @Test
    void withoutFlagsPrintsTheLast10AsAlignedText() {
        CliRun r = tail();
        assertEquals(0, r.code(), r.toString());
        List<String> lines = lines(r);
        assertEquals(10, lines.size(), r.toString());
        assertEquals("message 20", messages(r).get(0));
        assertEquals("message 29", messages(r).get(9));
        assertEquals("2026-11-25T16:20:00.000Z WARN  billing h2  message 20 i=20 n=20", lines.get(0));
        assertEquals("2026-11-25T16:21:00.000Z INFO  billing h1  message 21 i=21 n=21".replace("billing", "web    "),
                lines.get(1));
        assertFalse(r.out().contains("\u001b["), "no color when stdout is not a terminal");
    }

    @Test
    void jsonHasEveryFieldAndTheIndex() throws Exception {
        CliRun r = tail("--from-start", "--format", "json");
        assertEquals(0, r.code(), r.toString());
        List<String> lines = lines(r);
        assertEquals(N, lines.size());
        ObjectMapper m = new ObjectMapper();
        long prevIndex = -1;
        for (int i = 0; i < N; i++) {
            JsonNode n = m.readTree(lines.get(i));
            assertTrue(n.get("index").asLong() > prevIndex);
            prevIndex = n.get("index").asLong();
            assertEquals("message " + i, n.get("message").asText());
            assertEquals(T0.plus(Duration.ofMinutes(i)).toString(), n.get("time").asText());
            assertEquals(n.get("time").asText(), n.get("receive_time").asText());
            assertEquals(i % 5 == 0 ? "WARN" : "INFO", n.get("level").asText());
            assertEquals(Integer.toString(i), n.get("fields").get("i").asText());
            assertTrue(n.get("fields").get("n").isInt(), "JSON fields stay JSON");
            assertEquals("tcp:127.0.0.1:40000", n.get("source").asText());
            assertEquals("JSON", n.get("format").asText());
            assertEquals(0, n.get("flags").size());
        }
    }

    @Test
    void filtersCombineAndLastNCountsMatchingRecords() {
        CliRun r = tail("--level", "warn", "-n", "2");
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of("message 20", "message 25"), messages(r));

        r = tail("--from-start", "--service", "billing", "--host", "h2");
        assertEquals(List.of("message 0", "message 5", "message 10", "message 15", "message 20", "message 25"), messages(r));

        r = tail("--from-start", "--grep", "^message 1[0-2]$");
        assertEquals(List.of("message 10", "message 11", "message 12"), messages(r));

        r = tail("--from-start", "--level", "ERROR");
        assertEquals(0, r.code());
        assertEquals("", r.out());
    }

    @Test
    void grepAlsoMatchesFieldValues() {
        CliRun r = tail("--from-start", "--grep", "^17$");
        assertEquals(List.of("message 17"), messages(r));
    }

    @Test
    void countCountsTheWholeJournalOrFromTheStartGiven() {
        assertEquals("30\n", tail("--count").out());
        assertEquals("6\n", tail("--count", "--level", "WARN").out());
        assertEquals("5\n", tail("--count", "--since", "5m").out());
    }

    @Test
    void sinceADurationAgoOrAnRfc3339TimeLandsOnTheRightRecord() {
        // the fixed clock is T0 + 30m; 5m ago = T0 + 25m = record 25
        assertEquals(List.of("message 25", "message 26", "message 27", "message 28", "message 29"),
                messages(tail("--since", "5m")));
        assertEquals("message 7", messages(tail("--since", "2026-11-25T16:06:30Z")).get(0));
        assertEquals("message 7", messages(tail("--since", "2026-11-25T17:07:00+01:00")).get(0));
    }

    @Test
    void indexStartsAtThatRecord() throws Exception {
        JsonNode n = new ObjectMapper().readTree(lines(tail("--from-start", "--format", "json")).get(12));
        CliRun r = tail("--index", Long.toString(n.get("index").asLong()), "--format", "json");
        assertEquals(N - 12, lines(r).size(), r.toString());
        assertTrue(lines(r).get(0).contains("\"message\":\"message 12\""), r.toString());
    }

    @Test
    void colorOnlyWhenAskedOrOnATerminal() {
        CliRun always = tail("-n", "1", "--color", "always", "--level", "warn");
        assertTrue(always.out().contains("\u001b[33mWARN \u001b[0m"), always.out());
        CliRun never = tail(t -> t.stdoutIsTerminal = true, "-n", "1", "--color", "never");
        assertFalse(never.out().contains("\u001b["));
    }

    @Test
    void usageErrorsExit2WithWhatToDo() {
        CliRun r = tail("--from-start", "--since", "10m");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--from-start and --since do not go together; give only one of"), r.toString());

        r = tail("--count", "-f");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--count and --follow do not go together; drop one"), r.toString());

        r = tail("--level", "loud");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'loud' is not a level; use trace, debug, info, warn, error or fatal"), r.toString());

        r = tail("--since", "10M");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--since: '10M' is ambiguous: write 10m for minutes"), r.toString());

        r = tail("--since", "yesterday");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--since: 'yesterday' is not a time; use a duration ago such as 10m"), r.toString());

        r = tail("--grep", "(");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--grep: '(' is not a valid regex"), r.toString());

        r = tail("--format", "yaml");
        assertEquals(2, r.code());
        assertEquals("logpipe tail: --format: 'yaml' is not valid; use one of text, json\n", r.err());

        r = tail("-n", "-3");
        assertEquals(2, r.code());
    }

    @Test
    void missingJournalSaysToPassData(@TempDir Path empty) {
        CliRun r = CliRun.run("tail", "--data", empty.resolve("nope").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("no journal at " + empty.resolve("nope") + " (directory not found); pass --data DIR"), r.toString());
    }

    @Test
    void brokenPipeEndsQuietlyWithExit0() {
        StringWriter err = new StringWriter();
        Writer broken = new Writer() {
            @Override
            public void write(char[] c, int off, int len) throws IOException {
                throw new IOException("Broken pipe");
            }

            @Override
            public void flush() throws IOException {
                throw new IOException("Broken pipe");
            }

            @Override
            public void close() {
            }
        };
        CommandLine cl = Logpipe.commandLine(new PrintWriter(broken), new PrintWriter(err, true));
        ((TailCommand) cl.getSubcommands().get("tail").getCommand()).stdoutIsTerminal = false;
        int code = cl.execute("tail", "--data", dir.toString(), "--from-start", "-f");
        assertEquals(0, code);
        assertEquals("", err.toString());
    }

    private static List<String> jsonMessages(CliRun r) {
        return Arrays.stream(r.out().split("\n")).filter(l -> !l.isEmpty()).map(l -> {
            try {
                return new ObjectMapper().readTree(l).get("message").asText();
            } catch (IOException e) {
                throw new AssertionError(l, e);
            }
        }).toList();
    }

    @Test
    void aRecordWithoutALevelCountsAsTraceTheLowest(@TempDir Path own) throws Exception {
        try (TestJournal j = new TestJournal(own)) {
            j.append(LogRecord.builder().message("plain line").build(),
                    LogRecord.builder().level(Level.TRACE).message("t").build(),
                    LogRecord.builder().level(Level.DEBUG).message("d").build(),
                    LogRecord.builder().level(Level.WARN).message("w").build());
        }
        String d = own.toString();
        assertEquals(List.of("plain line", "t", "d", "w"),
                jsonMessages(CliRun.run("tail", "--data", d, "--from-start", "--format", "json", "--level", "trace")));
        assertEquals(List.of("d", "w"), jsonMessages(CliRun.run("tail", "--data", d, "--from-start", "--format", "json", "--level", "debug")));
        assertEquals("4\n", CliRun.run("tail", "--data", d, "--count", "--level", "trace").out());
        assertEquals(List.of("plain line", "t", "d", "w"), jsonMessages(CliRun.run("tail", "--data", d, "--from-start", "--format", "json")));
    }

    @Test
    void aSecondTailWithTheSameNameResumesWhereTheFirstStopped(@TempDir Path own) throws Exception {
        try (TestJournal j = new TestJournal(own)) {
            for (int i = 0; i < 15; i++) {
                j.append(LogRecord.builder().message("old " + i).build());
            }
            String d = own.toString();
            // first run: the start options apply (here the default, the last 10)
            CliRun first = CliRun.run("tail", "--data", d, "--name", "audit", "--format", "json");
            assertEquals(0, first.code(), first.toString());
            assertEquals(10, jsonMessages(first).size());
            assertEquals("old 14", jsonMessages(first).get(9));

            j.append(LogRecord.builder().message("new 0").build(), LogRecord.builder().message("new 1").build(),
                    LogRecord.builder().message("new 2").build());
            CliRun second = CliRun.run("tail", "--data", d, "--name", "audit", "--format", "json");
            assertEquals(List.of("new 0", "new 1", "new 2"), jsonMessages(second), "every record after the first run, no more");

            CliRun third = CliRun.run("tail", "--data", d, "--name", "audit", "--from-start", "--format", "json");
            assertEquals(List.of(), jsonMessages(third), "nothing new; --from-start applies to the first run only");
            assertTrue(third.err().startsWith("logpipe tail: reader 'audit' resumes after index "), third.toString());

            // another name is another reader; an unnamed tail is unaffected
            assertEquals(18, jsonMessages(CliRun.run("tail", "--data", d, "--name", "other", "--from-start", "--format", "json")).size());
            assertEquals(3, jsonMessages(CliRun.run("tail", "--data", d, "-n", "3", "--format", "json")).size());

            j.append(LogRecord.builder().level(Level.WARN).message("new 3").build(), LogRecord.builder().message("new 4").build());
            assertEquals("1\n", CliRun.run("tail", "--data", d, "--name", "audit", "--count", "--level", "warn").out(),
                    "a count reads on from where the reader stopped");
            assertEquals("2\n", CliRun.run("tail", "--data", d, "--name", "audit", "--count").out(),
                    "and leaves the reader there: counting is not reading (it used to move the reader past what it counted)");
            assertEquals(List.of("new 3", "new 4"),
                    jsonMessages(CliRun.run("tail", "--data", d, "--name", "audit", "--format", "json")));
            assertEquals("0\n", CliRun.run("tail", "--data", d, "--name", "audit", "--count").out());

            // a reader that has not run yet: its start options apply, and the count does not create it
            assertEquals("20\n", CliRun.run("tail", "--data", d, "--name", "fresh", "--count").out());
            assertEquals("20\n", CliRun.run("tail", "--data", d, "--name", "fresh", "--from-start", "--count").out());
            assertFalse(Files.exists(own.resolve("readers").resolve("fresh.pos")), "counting created no reader");
        }
    }

    @Test
    void aFileGivenAsTheJournalIsNamedAsSuch(@TempDir Path own) throws Exception {
        Path file = Files.writeString(own.resolve("afile"), "x");
        for (String cmd : new String[] {"tail", "verify"}) {
            CliRun r = CliRun.run(cmd, "--data", file.toString());
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("no journal at " + file + " (a file, not a directory)"), r.toString());
        }
    }

    @Test
    void badReaderNameIsAUsageError() {
        CliRun r = tail("--name", "../x");
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe tail: --name: '../x' is not a reader name; use 1-100 letters, digits, '.', '_' or '-',"
                + " not starting with '.'\n", r.err());
    }

    @Test
    void followPrintsARecordAppendedLater(@TempDir Path own) throws Exception {
        try (TestJournal j = new TestJournal(own)) {
            j.append(LogRecord.builder().level(Level.INFO).service("web").host("h1").message("message 29").build());
            follow(own, j);
        }
    }

    private static void follow(Path own, TestJournal j) throws Exception {
        StringBuffer seen = new StringBuffer(); // written by the tail thread, read here
        CompletableFuture<Void> sawNew = new CompletableFuture<>();
        // A stdout that records lines, and fails (like a closed pipe) once the new record arrived, which ends -f.
        Writer out = new Writer() {
            @Override
            public void write(char[] c, int off, int len) throws IOException {
                if (sawNew.isDone()) {
                    throw new IOException("reader gone");
                }
                seen.append(c, off, len);
                if (seen.toString().contains("followed record")) {
                    sawNew.complete(null);
                }
            }

            @Override
            public void flush() throws IOException {
                if (sawNew.isDone()) {
                    throw new IOException("reader gone");
                }
            }

            @Override
            public void close() {
            }
        };
        CommandLine cl = Logpipe.commandLine(new PrintWriter(out), new PrintWriter(new StringWriter(), true));
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(
                () -> cl.execute("tail", "--data", own.toString(), "-f"));
        // the catch-up line shows that tail is following before we append
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!seen.toString().contains("message 29") && System.nanoTime() < deadline) {
            Thread.sleep(10); // polling for output; the deadline bounds the wait
        }
        assertTrue(seen.toString().contains("message 29"), seen.toString());
        j.append(LogRecord.builder().level(Level.ERROR).message("followed record")
                .flag(RecordFlag.TRUNCATED).syslog(new SyslogInfo(1, 3, "app", "1", "-", "")).build());
        sawNew.get(60, TimeUnit.SECONDS);
        assertEquals(0, run.get(60, TimeUnit.SECONDS));
        assertTrue(seen.toString().contains(" ERROR -   -   followed record [TRUNCATED]"), seen.toString());
    }
}
