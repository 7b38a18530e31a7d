package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.FileSink;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.internal.scan.SegmentScanner;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 16 at the command line, on copies of a real journal (3 minutely segments, 49 records "m0" ..
 * "m48"): for each kind of damage, verify's exit status and message, tail from the start and by
 * default (the last 10) with one note per damaged region, repair to a clean journal; and the
 * sequence of the report: damage, serve, send, tail (and tail -f).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DamageCliTest {

    static final Instant BASE = Instant.parse("2026-11-25T10:00:00Z");
    static final int TOTAL = 49;

    @TempDir
    static Path tmp;

    static Path pristine;
    static final List<List<long[]>> LAYOUT = new ArrayList<>(); // per segment: {position, end, n, index}
    static final List<String> SEGMENTS = new ArrayList<>();
    static final AtomicInteger COPIES = new AtomicInteger();

    @BeforeAll
    static void writeJournal() throws Exception {
        pristine = tmp.resolve("pristine");
        MovableClock clock = new MovableClock(BASE);
        FileSink sink = FileSink.builder(pristine).rollCycle(RollCycle.MINUTELY).timeProvider(clock).prefaultPages(false)
                .build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        int n = 0;
        int[] per = {17, 16, 16};
        for (int s = 0; s < per.length; s++) {
            clock.now = BASE.plus(Duration.ofMinutes(s));
            AppendRequest last = null;
            for (int i = 0; i < per[s]; i++) {
                last = AppendRequest.withReceipt(record(n++));
                ch.sender().blockingSend(last);
            }
            last.written().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        ch.sender().close();
        sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(pristine, "*.cq4")) {
            TreeSet<Path> sorted = new TreeSet<>();
            ds.forEach(sorted::add);
            for (Path p : sorted) {
                SEGMENTS.add(p.getFileName().toString());
                List<long[]> recs = new ArrayList<>();
                try (SegmentScanner sc = new SegmentScanner(p, 0, Long.MAX_VALUE)) {
                    for (SegmentScanner.Step st; !((st = sc.next(false)) instanceof SegmentScanner.End); ) {
                        SegmentScanner.Rec r = (SegmentScanner.Rec) st;
                        recs.add(new long[] {r.position(), r.end(), Long.parseLong(r.record().message().substring(1)), r.index()});
                    }
                }
                LAYOUT.add(recs);
            }
        }
        assertEquals(3, SEGMENTS.size());
    }

    static LogRecord record(long n) {
        long nanos = (BASE.toEpochMilli() + n) * 1_000_000L;
        return LogRecord.builder().receiveTimeNanos(nanos).eventTimeNanos(nanos).service("svc").message("m" + n).build();
    }

    /** A copy of the journal; its sparse segment files are copied up to their data. */
    static Path copy() throws IOException {
        Path dir = tmp.resolve("copy-" + COPIES.incrementAndGet());
        Files.createDirectories(dir);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(pristine)) {
            for (Path p : ds) {
                Path to = dir.resolve(p.getFileName());
                if (!p.toString().endsWith(".cq4")) {
                    Files.copy(p, to);
                    continue;
                }
                long size = Files.size(p);
                try (FileChannel in = FileChannel.open(p); FileChannel out = FileChannel.open(to,
                        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    in.transferTo(0, 256 << 10, out);
                }
                try (RandomAccessFile raf = new RandomAccessFile(to.toFile(), "rw")) {
                    raf.setLength(size);
                }
            }
        }
        return dir;
    }

    static void write(Path file, long at, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), at);
        }
    }

    /** One damage, the record numbers it destroys, and what verify must name. */
    record Case(String name, Damage damage, List<Long> lost, String named) {
    }

    interface Damage {
        void apply(Path dir) throws Exception;
    }

    static List<Long> between(int segment, long from, long to) {
        return LAYOUT.get(segment).stream().filter(r -> r[0] < to && r[1] > from).map(r -> r[2]).toList();
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        long[] mid = LAYOUT.get(1).get(7);
        long[] last = LAYOUT.get(2).get(LAYOUT.get(2).size() - 1);
        out.add(new Case("zero 100 bytes in the middle of a segment",
                d -> write(d.resolve(SEGMENTS.get(1)), mid[0] + 10, new byte[100]), between(1, mid[0] + 10, mid[0] + 110),
                SEGMENTS.get(1)));
        out.add(new Case("overwrite one record's length header",
                d -> write(d.resolve(SEGMENTS.get(1)), mid[0], new byte[] {(byte) 0xFF, 0x7F, 0, 0}), List.of(mid[2]),
                SEGMENTS.get(1)));
        out.add(new Case("flip a bit in a record", d -> {
            Path f = d.resolve(SEGMENTS.get(1));
            byte[] b = new byte[1];
            try (FileChannel ch = FileChannel.open(f)) {
                ch.read(ByteBuffer.wrap(b), mid[0] + 30);
            }
            write(f, mid[0] + 30, new byte[] {(byte) (b[0] ^ 0x10)});
        }, List.of(mid[2]), SEGMENTS.get(1)));
        out.add(new Case("delete the middle segment", d -> Files.delete(d.resolve(SEGMENTS.get(1))),
                LAYOUT.get(1).stream().map(r -> r[2]).toList(), SEGMENTS.get(1) + ": segment is missing"));
        out.add(new Case("random bytes instead of the middle segment", d -> {
            byte[] b = new byte[64 << 10];
            new Random(16).nextBytes(b);
            Files.write(d.resolve(SEGMENTS.get(1)), b);
        }, LAYOUT.get(1).stream().map(r -> r[2]).toList(), SEGMENTS.get(1) + " at byte 0 (65536 bytes): not a Chronicle Queue segment"));
        out.add(new Case("delete metadata.cq4t", d -> Files.delete(d.resolve("metadata.cq4t")), List.of(),
                "metadata.cq4t: is missing"));
        out.add(new Case("garble metadata.cq4t", d -> {
            byte[] b = new byte[4096];
            new Random(7).nextBytes(b);
            Files.write(d.resolve("metadata.cq4t"), b);
        }, List.of(), "metadata.cq4t: is garbled"));
        // every offset of the last record is in file-sink's DamageMatrixTest; here, one inside its header and one in its body
        for (long t : new long[] {last[0] + 2, last[0] + 20}) {
            out.add(new Case("truncate the last segment at byte " + t, d -> {
                try (FileChannel ch = FileChannel.open(d.resolve(SEGMENTS.get(2)), StandardOpenOption.WRITE)) {
                    ch.truncate(t);
                }
            }, List.of(last[2]), SEGMENTS.get(2)));
        }
        return out;
    }

    static List<Long> allBut(List<Long> lost) {
        List<Long> out = new ArrayList<>();
        for (long n = 0; n < TOTAL; n++) {
            if (!lost.contains(n)) {
                out.add(n);
            }
        }
        return out;
    }

    private static final Pattern MESSAGE = Pattern.compile("\"message\":\"m(\\d+)\"");

    /** The record numbers in tail's JSON output, in order. */
    static List<Long> numbers(String out) {
        List<Long> ns = new ArrayList<>();
        Matcher m = MESSAGE.matcher(out);
        while (m.find()) {
            ns.add(Long.parseLong(m.group(1)));
        }
        return ns;
    }

    /** Every stderr line of tail is one damage note naming a segment, with the verify hint once. */
    static void assertNotes(CliRun tail, boolean expectSome) {
        String err = tail.err();
        if (expectSome) {
            assertFalse(err.isEmpty(), "a note for the damage: " + tail);
        }
        for (String line : err.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            // bytes skipped in a segment, or a whole segment gone from the middle
            assertTrue(line.startsWith("logpipe tail: skipped ") && line.matches(".* in \\d{8}-\\d{4}LM\\.cq4 at byte \\d+.*")
                    || line.matches("logpipe tail: \\d{8}-\\d{4}LM\\.cq4: segment is missing: .*"), line);
            assertEquals(1, line.split("logpipe verify", -1).length - 1, "the verify hint once: " + line);
        }
    }

    @TestFactory
    Stream<DynamicTest> verifyTailAndRepairOnEveryKindOfDamage() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path d = copy();
            c.damage().apply(d);
            List<Long> expected = allBut(c.lost());

            CliRun v = CliRun.run("verify", "--data", d.toString());
            assertEquals(1, v.code(), v.toString());
            assertTrue(v.out().contains("DAMAGED: "), v.out());
            assertTrue(v.out().contains(c.named()), v.out());
            assertTrue(v.out().contains(String.format("records   %,d%n", expected.size())), v.out());
            assertFalse(v.err().contains("internal error") || v.err().contains("This is a bug"), v.err());
            assertTrue(v.err().contains("logpipe repair --data " + d), v.err());

            CliRun all = CliRun.run("tail", "--data", d.toString(), "--from-start", "--format", "json");
            assertEquals(0, all.code(), all.toString());
            assertEquals(expected, numbers(all.out()), all.toString());
            assertNotes(all, !c.lost().isEmpty() && !c.name().startsWith("delete the middle"));

            CliRun last10 = CliRun.run("tail", "--data", d.toString(), "--format", "json");
            assertEquals(0, last10.code(), last10.toString());
            assertEquals(expected.subList(expected.size() - 10, expected.size()), numbers(last10.out()), last10.toString());
            assertNotes(last10, false);

            Path fixed = d.resolveSibling(d.getFileName() + "-repaired");
            CliRun repair = CliRun.run("repair", "--data", d.toString(), "--out", fixed.toString());
            assertEquals(0, repair.code(), repair.toString());
            assertTrue(repair.out().contains("ok: " + fixed.toAbsolutePath().normalize() + " verifies clean"), repair.out());
            assertTrue(repair.out().contains(String.format("%,d records in", expected.size())), repair.out());
            assertTrue(repair.out().contains("dropped:") && repair.out().contains(c.named()), repair.out());
            assertEquals(repair.out().contains(" -> ") && repair.out().lines().anyMatch(l -> l.matches("  \\d+ \\.\\. \\d+ -> \\d+ \\.\\. \\d+")),
                    repair.out().contains("note      indexes moved down"), "a note exactly when indexes moved: " + repair.out());
            assertEquals(0, CliRun.run("verify", "--data", fixed.toString()).code());
            CliRun again = CliRun.run("tail", "--data", fixed.toString(), "--from-start", "--format", "json");
            assertEquals(expected, numbers(again.out()), again.toString());
            assertEquals("", again.err());
            // the original is unchanged: it still verifies as damaged
            assertEquals(1, CliRun.run("verify", "--data", d.toString()).code());
        }));
    }

    @Test
    void repairNeedsToBeToldWhereToWrite() throws Exception {
        Path d = copy();
        CliRun r = CliRun.run("repair", "--data", d.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("logpipe repair: say where the repaired journal goes: --out DIR2"), r.err());
        Path notEmpty = copy();
        CliRun r2 = CliRun.run("repair", "--data", d.toString(), "--out", notEmpty.toString());
        assertEquals(2, r2.code(), r2.toString());
        assertTrue(r2.err().contains("is not empty; pass a new directory"), r2.err());
    }

    @Test
    void repairInPlaceMovesTheOriginalsAside() throws Exception {
        Path d = copy();
        long[] mid = LAYOUT.get(1).get(3);
        write(d.resolve(SEGMENTS.get(1)), mid[0], new byte[(int) (mid[1] - mid[0])]);
        assertEquals(0, CliRun.run("tail", "--data", d.toString(), "--name", "idx", "-n", "3").code());
        long lastIndex = LAYOUT.get(2).get(LAYOUT.get(2).size() - 1)[3];
        CliRun r = CliRun.run("repair", "--data", d.toString(), "--in-place");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("reader    idx: position " + lastIndex + " -> " + lastIndex), r.out());
        assertEquals("", CliRun.run("tail", "--data", d.toString(), "--name", "idx", "--format", "json").out(),
                "the reader's position came along: nothing new for it");
        assertTrue(r.out().contains("moved     the original files to " + d.resolve("damaged-")), r.out());
        assertTrue(r.out().contains("note      indexes moved down (the runs above). The map is kept in "
                + d.toAbsolutePath().normalize().resolve("repairs").resolve("000001.map")), "the records after the damage moved down: " + r.out());
        assertEquals(0, CliRun.run("verify", "--data", d.toString()).code());
        assertEquals(allBut(List.of(mid[2])),
                numbers(CliRun.run("tail", "--data", d.toString(), "--from-start", "--format", "json").out()));
    }

    @Test
    void anInPlaceRepairStoppedWhileSwappingIsRefusedByReadersAndFinishedByTheNextRepair() throws Exception {
        Path d = copy();
        // as a repair killed after moving the first original aside leaves it: the copy (here a plain copy),
        // the marker, one segment in damaged-X and the rest still in place
        Path copyDir = Files.createDirectory(d.resolve("repair-X.tmp"));
        List<String> originals = new ArrayList<>(SEGMENTS);
        originals.add("logpipe-journal.properties");
        originals.add("metadata.cq4t");
        for (String n : originals) {
            Files.copy(d.resolve(n), copyDir.resolve(n));
        }
        Files.createDirectory(d.resolve("damaged-X"));
        Files.move(d.resolve(SEGMENTS.get(0)), d.resolve("damaged-X").resolve(SEGMENTS.get(0)));
        StringBuilder marker = new StringBuilder("# logpipe in-place repair 1\ncopy repair-X.tmp\naside damaged-X\n");
        originals.forEach(n -> marker.append("original ").append(n).append('\n'));
        Files.writeString(d.resolve("repair-in-progress"), marker.append("end\n"));

        for (String[] args : List.of(new String[] {"tail", "--data", d.toString(), "--from-start"},
                new String[] {"verify", "--data", d.toString()},
                new String[] {"repair", "--data", d.toString(), "--out", d.resolveSibling(d.getFileName() + "-out").toString()})) {
            CliRun r = CliRun.run(args);
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("an in-place repair of " + d) && r.err().contains("finishes the swap first")
                    && !r.err().contains("run `logpipe verify"), r.err());
            assertEquals("", r.out(), "nothing read from part of a journal: " + r);
        }
        CliRun fixed = CliRun.run("repair", "--data", d.toString(), "--in-place");
        assertEquals(0, fixed.code(), fixed.toString());
        assertFalse(Files.exists(d.resolve("repair-in-progress")));
        assertFalse(Files.exists(copyDir));
        assertEquals(allBut(List.of()),
                numbers(CliRun.run("tail", "--data", d.toString(), "--from-start", "--format", "json").out()),
                "every record, from the copy swapped in");
    }

    @Test
    void aNamedReaderRefusesADamagedPositionAndStartsAfreshWhenItIsDeleted() throws Exception {
        Path d = copy();
        CliRun first = CliRun.run("tail", "--data", d.toString(), "--name", "idx", "--format", "json", "-n", "3");
        assertEquals(0, first.code(), first.toString());
        assertEquals(3, numbers(first.out()).size(), first.toString());
        Path pos = d.resolve("readers").resolve("idx.pos");
        byte[] b = Files.readAllBytes(pos);
        b[2] ^= 0x10;
        Files.write(pos, b);
        CliRun refused = CliRun.run("tail", "--data", d.toString(), "--name", "idx", "--format", "json");
        assertEquals(1, refused.code(), refused.toString());
        assertTrue(refused.err().contains("reader 'idx': the saved position " + pos + " is damaged"), refused.err());
        assertEquals("", refused.out(), "nothing printed from a position nobody saved");
        assertEquals(0, CliRun.run("verify", "--data", d.toString()).code(), "the journal itself is sound");
        Files.delete(pos);
        CliRun afresh = CliRun.run("tail", "--data", d.toString(), "--name", "idx", "--format", "json", "-n", "2");
        assertEquals(0, afresh.code(), afresh.toString());
        assertEquals(numbers(first.out()).subList(1, 3), numbers(afresh.out()));
    }

    /** The sequence of the report: damage the last segment, start serve on it, send a record, tail and verify. */
    @TestFactory
    Stream<DynamicTest> serveOnADamagedJournalStoresRecordsThatTailReaches() {
        long[] last = LAYOUT.get(2).get(LAYOUT.get(2).size() - 1);
        long[] mid = LAYOUT.get(2).get(8);
        return Stream.of(
                new Case("truncated mid-record", d -> {
                    try (FileChannel ch = FileChannel.open(d.resolve(SEGMENTS.get(2)), StandardOpenOption.WRITE)) {
                        ch.truncate(last[0] + 20);
                    }
                }, List.of(last[2]), null),
                new Case("100 bytes zeroed", d -> write(d.resolve(SEGMENTS.get(2)), mid[0] + 10, new byte[100]),
                        between(2, mid[0] + 10, mid[0] + 110), null)
        ).map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path d = copy();
            c.damage().apply(d);
            SharedOut out = new SharedOut();
            SharedOut err = new SharedOut();
            CommandLine cl = Logpipe.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
            ServeCommand serve = (ServeCommand) cl.getSubcommands().get("serve").getCommand();
            serve.handleSignals = false;
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> cl.execute("serve", "--port", "0",
                    "--admin-port", "0", "--data", d.toString(), "--sync-interval", "20ms"));
            int port = Integer.parseInt(await(out, err, run, Pattern.compile("listen +tcp://127\\.0\\.0\\.1:(\\d+)")));
            await(out, err, run, Pattern.compile("(ready); stop with Ctrl-C or SIGTERM"));
            String lines = "{\"msg\":\"sent after damage\"}\n";
            CliRun sent = CliRun.run(x -> ((SendCommand) x.getSubcommands().get("send").getCommand()).stdin =
                    new ByteArrayInputStream(lines.getBytes(StandardCharsets.UTF_8)), "send", "--port", Integer.toString(port));
            assertEquals(0, sent.code(), sent.toString());
            // tail -f, started now, sees the record once it is stored
            CompletableFuture<String> followed = follow(d, "sent after damage");
            followed.get(60, TimeUnit.SECONDS);
            serve.requestStop("test");
            assertEquals(0, run.get(90, TimeUnit.SECONDS), out.text + "\n" + err.text);

            CliRun tail = CliRun.run("tail", "--data", d.toString(), "--from-start", "--format", "json");
            List<Long> expected = allBut(c.lost());
            assertEquals(expected, numbers(tail.out()), tail.toString());
            String[] jsonLines = tail.out().trim().split("\n");
            assertTrue(jsonLines[jsonLines.length - 1].contains("\"message\":\"sent after damage\""), tail.out());
            CliRun def = CliRun.run("tail", "--data", d.toString(), "--format", "json", "-n", "3");
            assertTrue(def.out().contains("\"message\":\"sent after damage\""), def.toString());
            CliRun v = CliRun.run("verify", "--data", d.toString());
            assertEquals(1, v.code(), v.toString());
            assertTrue(v.out().contains(String.format("records   %,d%n", expected.size() + 1)), v.out());
        }));
    }

    /** Runs {@code tail -f} from the default start until it prints {@code text}; its stdout then fails like a closed pipe. */
    static CompletableFuture<String> follow(Path d, String text) {
        StringBuffer seen = new StringBuffer();
        CompletableFuture<String> saw = new CompletableFuture<>();
        Writer out = new Writer() {
            @Override
            public void write(char[] c, int off, int len) throws IOException {
                if (saw.isDone()) {
                    throw new IOException("reader gone");
                }
                seen.append(c, off, len);
                if (seen.toString().contains(text)) {
                    saw.complete(seen.toString());
                }
            }

            @Override
            public void flush() throws IOException {
                if (saw.isDone()) {
                    throw new IOException("reader gone");
                }
            }

            @Override
            public void close() {
            }
        };
        CommandLine cl = Logpipe.commandLine(new PrintWriter(out), new PrintWriter(new StringWriter(), true));
        CompletableFuture.supplyAsync(() -> cl.execute("tail", "--data", d.toString(), "-f", "--format", "json"))
                .whenComplete((code, e) -> {
                    if (!saw.isDone()) {
                        saw.completeExceptionally(new AssertionError("tail -f ended (" + code + ", " + e + ") before "
                                + text + ": " + seen, e));
                    }
                });
        return saw;
    }

    /** A thread-safe stdout for a serve running on another thread. */
    static final class SharedOut extends Writer {
        final StringBuffer text = new StringBuffer();

        @Override
        public void write(char[] c, int off, int len) {
            text.append(c, off, len);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    static String await(SharedOut out, SharedOut err, CompletableFuture<Integer> run, Pattern p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            Matcher m = p.matcher(out.text);
            if (m.find()) {
                return m.group(1);
            }
            if (run.isDone()) {
                throw new AssertionError("serve ended with " + run.get() + " before printing " + p + "\n" + out.text + err.text);
            }
            Thread.sleep(10); // polling for output; the deadline bounds the wait
        }
        throw new AssertionError("no " + p + " in\n" + out.text + err.text);
    }

    /** A clock the test moves by hand. */
    static final class MovableClock extends Clock {
        volatile Instant now;

        MovableClock(Instant start) {
            now = start;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
