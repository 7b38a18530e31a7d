package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.testsupport.TestCertificates;
import dev.logpipe.server.internal.config.ConfigKey;
import dev.logpipe.server.internal.config.ConfigLoader;
import dev.logpipe.server.internal.config.Interpolator;
import dev.logpipe.server.internal.config.ServeSettings;
import dev.logpipe.server.internal.config.SettingsLayer;
import dev.logpipe.filesink.SyncPolicy;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(180)
class ServeCommandTest {

    @TempDir
    Path dir;

    /** Parses serve's flags without running it, and resolves its settings. */
    private ServeSettings settings(Map<String, String> env, String... args) {
        CommandLine cl = Logpipe.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        CommandLine serve = cl.getSubcommands().get("serve");
        ((ServeCommand) serve.getCommand()).loader = new ConfigLoader(Interpolator.of(env));
        String[] full = new String[args.length + 1];
        full[0] = "serve";
        System.arraycopy(args, 0, full, 1, args.length);
        cl.parseArgs(full);
        return ((ServeCommand) serve.getCommand()).settings();
    }

    @Test
    void everyConfigKeyIsAlsoAServeFlag() {
        CommandLine serve = Logpipe.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .getSubcommands().get("serve");
        for (ConfigKey k : ConfigKey.values()) {
            assertTrue(serve.getCommandSpec().findOption(k.flag()) != null, "no serve flag " + k.flag());
            String help = String.join(" ", serve.getCommandSpec().findOption(k.flag()).description());
            if (k.defaultText() != null && !k.defaultText().equals("forever")) {
                assertTrue(help.contains("default: " + k.defaultText()), k.flag() + " help does not show its default: " + help);
            }
        }
    }

    @Test
    void flagsOverrideTheConfigFileBothFormsOfLongOptions() throws Exception {
        Path cfg = dir.resolve("logpipe.yaml");
        Files.writeString(cfg, "port: ${P:-6000}\nadmin-port: 6001\nsync-interval: batch\nretention: 7d\n");
        ServeSettings s = settings(Map.of(), "--config", cfg.toString(), "--port=7000", "--retention", "7d", "--retention", "1GiB");
        assertEquals(7000, s.port());
        assertEquals(6001, s.adminPort());
        assertEquals(SyncPolicy.Kind.BATCH, s.syncInterval().kind());
        assertEquals(1L << 30, s.retention().maxBytes());
        assertEquals(Duration.ofDays(7), s.retention().maxAge());
        assertEquals(6500, settings(Map.of("P", "6500"), "-c", cfg.toString()).port());
        assertEquals(SyncPolicy.Kind.NEVER, settings(Map.of(), "-c", cfg.toString(), "--sync-interval", "never").syncInterval().kind());
        assertEquals(Duration.ofDays(7), settings(Map.of(), "--retention=7d,10GB").retention().maxAge());
    }

    @Test
    void theJitWarmUpTakesUpToTwoSecondsUnlessSetAndZeroTurnsItOff() throws Exception {
        ServeSettings defaults = settings(Map.of());
        assertEquals(Duration.ofSeconds(2), defaults.warmup());
        assertTrue(defaults.describe().contains("warm-up     up to 2s (JIT, on a throwaway journal, before listening)"),
                defaults.describe().toString());
        ServeSettings off = settings(Map.of(), "--warmup", "0");
        assertEquals(Duration.ZERO, off.warmup());
        assertTrue(off.describe().contains("warm-up     off"), off.describe().toString());
        Path cfg = dir.resolve("warm.yaml");
        Files.writeString(cfg, "warmup: 500ms\n");
        assertEquals(Duration.ofMillis(500), settings(Map.of(), "--config", cfg.toString()).warmup());
        CliRun r = CliRun.run("serve", "--warmup", "soon", "--data", dir.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("logpipe serve: --warmup: 'soon'"), r.toString());
    }

    @Test
    void theJournalTakesRecordsOfThreeTimesMaxFrameAtMostItsLimit() throws Exception {
        assertEquals((3 << 20) + (64 << 10), ServeCommand.maxRecordBytesFor(1 << 20));
        assertEquals(16L << 20, ServeCommand.journalSettings(ServeSettings.defaults()).chunkBytes(),
                "default max-frame: the smallest mapping piece");
        assertEquals((24 << 20) + (64 << 10), ServeCommand.maxRecordBytesFor(8 << 20),
                "a frame of 8 MiB of invalid UTF-8 is 24 MiB stored");
        assertEquals(1 << 30, ServeCommand.maxRecordBytesFor(Integer.MAX_VALUE - 1024L));
        assertEquals(ServeCommand.maxRecordBytesFor(8 << 20), ServeCommand.journalSettings(
                ServeSettings.resolve(null, new SettingsLayer().set(ConfigKey.MAX_FRAME, "8MiB", "--max-frame")))
                .maxRecordBytes());
    }

    @Test
    void aHeapTooSmallForMaxFrameAndTheChannelIsRefusedAtStartSayingWhatToRun() throws Exception {
        ServeSettings defaults = ServeSettings.defaults();
        ServeCommand.checkHeap(defaults, 80L << 20); // what the launcher's default heap reports as its maximum
        ServeSettings big = ServeSettings.resolve(null, new SettingsLayer().set(ConfigKey.MAX_FRAME, "32MiB", "--max-frame")
                .set(ConfigKey.CHANNEL_BYTES, "64MiB", "--channel-bytes"));
        CliException e = org.junit.jupiter.api.Assertions.assertThrows(CliException.class,
                () -> ServeCommand.checkHeap(big, 96L << 20));
        assertEquals("max-frame 32MiB and channel-bytes 64MiB need a heap of at least 416 MiB (a frame being decoded"
                + " takes up to 8 times its size, a full channel about twice its bytes); this JVM has 96 MiB: run with"
                + " JAVA_OPTS=-Xmx448m, or lower them", e.getMessage());
        ServeCommand.checkHeap(big, 448L << 20);
    }

    @Test
    void badFlagValuesAreUsageErrorsNamingTheFlag() {
        String[][] cases = {
            {"--port", "http", "--port: 'http' is not a port number; use 1-65535 (or 0 for any free port)"},
            {"--sync-interval", "often", "--sync-interval: 'often' is not a sync interval; use a duration such as 100ms, or batch, or never"},
            {"--retention", "a week", "--retention: 'a week' is not a retention; use an age such as 7d, a size such as 10GB, or both: 7d,10GB"},
            {"--max-frame", "10M", "--max-frame: '10M' is ambiguous; write 10MB (powers of 1000) or 10MiB (powers of 1024)"},
            {"--retention", "10M", "--retention: '10M' is ambiguous; write 10m for minutes, or 10MB or 10MiB for a size"},
            {"--retention", "10mb", "--retention: '10mb': size units are case-sensitive; write 10MB"},
            {"--sync-interval", "1M", "--sync-interval: '1M' is ambiguous: write 1m for minutes"},
            {"--idle-timeout", "1M", "--idle-timeout: '1M' is ambiguous: write 1m for minutes"},
            {"--drain-timeout", "30S", "--drain-timeout: '30S': duration units are lower-case; write 30s"},
            {"--channel-bytes", "64mib", "--channel-bytes: '64mib': size units are case-sensitive; write 64MiB"},
            {"--roll-cycle", "weekly", "--roll-cycle: 'weekly' is not one of: minutely, hourly, daily"},
            {"--format", "xml", "--format: 'xml' is not one of: auto, json, syslog, text"},
            {"--tls-cert", "c.pem", "tls-cert is set (from --tls-cert) but tls-key is not; TLS needs both"},
            {"--sync-interval", "1ns", "--sync-interval: sync interval 1ns is under 1ms; use 1ms or more, or 'batch'"},
            {"--idle-timeout", "1us", "--idle-timeout: idle timeout 1us is under 1s; use 1s or more, or 0 for never"},
        };
        for (String[] c : cases) {
            CliRun r = CliRun.run("serve", c[0], c[1], "--data", dir.toString());
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().startsWith("logpipe serve: " + c[2]), c[0] + ": " + r);
        }
    }

    @Test
    void twoListenersOnOnePortAreRefusedAsSuch() {
        CliRun r = CliRun.run("serve", "--port", "5999", "--relp-port", "5999", "--data", dir.resolve("d").toString(),
                "--admin-port", "0");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("logpipe serve: --port and --relp-port are both 5999 on 127.0.0.1; each listener"
                + " needs its own port"), r.toString());
        r = CliRun.run("serve", "--port", "0", "--fluent-port", "5998", "--otlp-port", "5998", "--data",
                dir.resolve("d").toString(), "--admin-port", "0");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--fluent-port and --otlp-port are both 5998"), r.toString());
    }

    /** A reserve the file system cannot leave free paused the journal for good while serve said ready. */
    @Test
    void aMinFreeOverTheWholeFileSystemIsRefused() throws Exception {
        long total = Files.getFileStore(dir).getTotalSpace();
        CliRun r = CliRun.run("serve", "--min-free", Long.toString(total), "--data", dir.resolve("new").toString(),
                "--port", "0", "--admin-port", "0");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("logpipe serve: min-free " + total + " is not less than the whole file system of "
                + dir.resolve("new")), r.toString());
        assertFalse(Files.exists(dir.resolve("new")), "refused before anything was created");
    }

    @Test
    void badConfigFileIsAUsageErrorWithLineAndKey() throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "port: 5140\nsync-intervall: 1s\n");
        CliRun r = CliRun.run("serve", "--config", cfg.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("logpipe serve: " + cfg + ":2: unknown key 'sync-intervall'; did you mean 'sync-interval'?"),
                r.toString());
    }

    @Test
    void portInUseSaysToPassPort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CliRun r = CliRun.run("serve", "--port", Integer.toString(taken.getLocalPort()), "--admin-port", "0",
                    "--data", dir.resolve("data").toString());
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("port " + taken.getLocalPort() + " on 127.0.0.1 is in use; pass --port"), r.toString());
            assertFalse(Files.exists(dir.resolve("data")), "a failed start creates no journal directory");
            assertFalse(r.err().contains("journal writer"), r.toString());
        }
    }

    @Test
    void bindAddressThatDoesNotResolveIsAUsageErrorBeforeAnythingIsCreated() {
        CliRun r = CliRun.run("serve", "--bind", "999.1.1.1", "--port", "0", "--admin-port", "0",
                "--data", dir.resolve("data").toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe serve: --bind 999.1.1.1 is not an address or a host name that resolves; use 127.0.0.1,"
                + " 0.0.0.0 (all interfaces) or an address of this machine\n", r.err());
        assertFalse(Files.exists(dir.resolve("data")));
    }

    @Test
    void samePortForIngestAndAdminSaysTheyAreTheSame() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        CliRun r = CliRun.run("serve", "-p", Integer.toString(port), "--admin-port", Integer.toString(port),
                "--data", dir.resolve("data").toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe serve: --port and --admin-port are both " + port
                + " on 127.0.0.1; one port cannot serve both: give them different ports\n", r.err());
        assertFalse(Files.exists(dir.resolve("data")));
    }

    @Test
    void tlsKeyThatDoesNotBelongToTheCertificateIsRefusedAtStart() throws Exception {
        TestCertificates certs = TestCertificates.make(Files.createDirectories(dir.resolve("certs")));
        CliRun r = CliRun.run("serve", "--port", "0", "--admin-port", "0", "--data", dir.resolve("data").toString(),
                "--tls-cert", certs.serverCert.toString(), "--tls-key", certs.strayKey.toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe serve: TLS key " + certs.strayKey + " does not belong to certificate " + certs.serverCert
                + " (CN=localhost); give the key the certificate was issued for\n", r.err());
        assertFalse(Files.exists(dir.resolve("data")));
    }

    @Test
    void adminPortInUseSaysToPassAdminPort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CliRun r = CliRun.run("serve", "--port", "0", "--admin-port", Integer.toString(taken.getLocalPort()),
                    "--data", dir.resolve("data").toString());
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("admin port " + taken.getLocalPort() + " on 127.0.0.1 is in use; pass --admin-port"),
                    r.toString());
        }
    }

    @Test
    void lockedDataDirectorySaysWhoHoldsItAndWhatToDo() throws Exception {
        Path data = dir.resolve("data");
        TestJournal holder = new TestJournal(data); // holds the directory lock, as a running serve would
        try {
            CliRun r = CliRun.run("serve", "--port", "0", "--admin-port", "0", "--data", data.toString());
            assertEquals(2, r.code(), r.toString());
            assertEquals("logpipe serve: data directory " + data + " is locked by another logpipe (pid "
                    + ProcessHandle.current().pid() + "); stop it or pass --data\n", r.err());
        } finally {
            holder.close();
        }
    }

    /** A thread-safe stdout for a serve running on another thread. */
    private static final class SharedOut extends Writer {
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

    /** Waits (generously: the machine may be loaded) for serve to print {@code p}; fails at once if serve ended. */
    private static String await(SharedOut out, SharedOut err, CompletableFuture<Integer> run, Pattern p) throws Exception {
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

    /** serve running on another thread of this JVM, with what it prints. */
    private static final class Serving {
        final SharedOut out = new SharedOut();
        final SharedOut err = new SharedOut();
        final ServeCommand serve;
        final CompletableFuture<Integer> run;

        Serving(String... args) {
            CommandLine cl = Logpipe.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
            serve = (ServeCommand) cl.getSubcommands().get("serve").getCommand();
            serve.handleSignals = false;
            String[] full = new String[args.length + 1];
            full[0] = "serve";
            System.arraycopy(args, 0, full, 1, args.length);
            run = CompletableFuture.supplyAsync(() -> cl.execute(full));
        }

        /** The first group of {@code pattern} once serve has printed it (see {@link ServeCommandTest#await}). */
        String await(String pattern) throws Exception {
            return ServeCommandTest.await(out, err, run, Pattern.compile(pattern));
        }

        /** Asks serve to stop as a signal would; returns its exit status. */
        int stop() throws Exception {
            serve.requestStop("test");
            return run.get(90, TimeUnit.SECONDS);
        }

        String printed() {
            return out.text + "\n" + err.text;
        }
    }

    @Test
    void theAcknowledgedListenersTakeTheMainListenersTls() throws Exception {
        // before: --tls-cert applied to the main listener only, RELP and Fluent stayed plain text
        TestCertificates certs = TestCertificates.make(Files.createDirectories(dir.resolve("certs")));
        Path data = dir.resolve("data");
        Serving s = new Serving("--port", "0", "--admin-port", "0", "--relp-port", "0", "--fluent-port", "0",
                "--data", data.toString(), "--sync-interval", "20ms",
                "--tls-cert", certs.serverCert.toString(), "--tls-key", certs.serverKey.toString());
        int code;
        try {
            int relp = Integer.parseInt(s.await("relp +tls://127\\.0\\.0\\.1:(\\d+)"));
            s.await("fluent +(tls)://127\\.0\\.0\\.1:\\d+");
            s.await("(ready); stop with Ctrl-C or SIGTERM");

            CliRun sent = CliRun.run(c -> ((SendCommand) c.getSubcommands().get("send").getCommand()).stdin =
                    new ByteArrayInputStream("over tls one\nover tls two\n".getBytes(StandardCharsets.UTF_8)),
                    "send", "--protocol", "relp", "--port", Integer.toString(relp), "--tls-ca", certs.serverCert.toString());
            assertEquals(0, sent.code(), "acknowledged over TLS: " + sent);
            CliRun plain = CliRun.run(c -> ((SendCommand) c.getSubcommands().get("send").getCommand()).stdin =
                    new ByteArrayInputStream("plain\n".getBytes(StandardCharsets.UTF_8)),
                    "send", "--protocol", "relp", "--port", Integer.toString(relp), "--wait", "5s");
            assertEquals(1, plain.code(), "a plain-text RELP client gets no acknowledgement: " + plain);
        } finally {
            code = s.stop();
        }
        assertEquals(0, code, s.printed());
        CliRun tail = CliRun.run("tail", "--data", data.toString(), "--format", "json");
        assertEquals(2, Arrays.stream(tail.out().split("\n")).filter(l -> l.contains("over tls")).count(), tail.toString());
        assertFalse(tail.out().contains("plain"), tail.out());
    }

    /** An existing journal keeps its roll cycle: the banner says the one in use, not the one asked for. */
    @Test
    void theBannerShowsTheRollCycleTheJournalUses() throws Exception {
        Path data = dir.resolve("data");
        Serving first = new Serving("--port", "0", "--admin-port", "0", "--data", data.toString(), "--warmup", "0");
        try {
            first.await("roll cycle +(hourly)");
            first.await("(ready); stop with Ctrl-C or SIGTERM");
        } finally {
            assertEquals(0, first.stop(), first.printed());
        }
        Serving again = new Serving("--port", "0", "--admin-port", "0", "--data", data.toString(), "--warmup", "0",
                "--roll-cycle", "minutely");
        try {
            assertEquals("hourly", again.await("roll cycle +(\\w+)"), "it used to print minutely");
            again.await("(ready); stop with Ctrl-C or SIGTERM");
        } finally {
            assertEquals(0, again.stop(), again.printed());
        }
    }

    @Test
    void theFluentListenerAsksForTheSharedKeyFromItsFile() throws Exception {
        Path data = dir.resolve("data");
        Path key = Files.writeString(dir.resolve("fluent.key"), "k3y\n");
        Serving s = new Serving("--port", "0", "--admin-port", "0", "--fluent-port", "0", "--data", data.toString(),
                "--fluent-shared-key-file", key.toString());
        int code;
        try {
            int fluent = Integer.parseInt(s.await("fluent +tcp://127\\.0\\.0\\.1:(\\d+)  \\(Fluent Forward, ack durable, shared key\\)"));
            s.await("(ready); stop with Ctrl-C or SIGTERM");
            try (java.net.Socket c = new java.net.Socket("127.0.0.1", fluent)) {
                c.setSoTimeout(10_000);
                org.msgpack.value.Value helo = org.msgpack.core.MessagePack.newDefaultUnpacker(c.getInputStream()).unpackValue();
                assertEquals("HELO", helo.asArrayValue().get(0).asStringValue().asString(), "the handshake starts: " + helo);
            }
        } finally {
            code = s.stop();
        }
        assertEquals(0, code, s.printed());
        assertFalse(s.printed().contains("k3y"), "the key is never printed");

        CliRun noPort = CliRun.run("serve", "--data", data.toString(), "--fluent-shared-key-file", key.toString());
        assertEquals(2, noPort.code(), noPort.toString());
        assertTrue(noPort.err().contains("fluent-shared-key-file is set") && noPort.err().contains("--fluent-port"), noPort.err());
        Path empty = Files.writeString(dir.resolve("empty.key"), "\n");
        CliRun emptyKey = CliRun.run("serve", "--data", data.toString(), "--port", "0", "--admin-port", "0",
                "--fluent-port", "0", "--fluent-shared-key-file", empty.toString());
        assertEquals(2, emptyKey.code(), emptyKey.toString());
        assertTrue(emptyKey.err().contains("is empty"), emptyKey.err());
        Path cfg = Files.writeString(dir.resolve("fluent.yaml"), "fluent-port: 24224\nfluent-shared-key-file: "
                + dir.resolve("missing.key") + "\n");
        CliRun validate = CliRun.run("validate", "-c", cfg.toString());
        assertEquals(1, validate.code(), validate.toString());
        assertTrue(validate.err().contains("cannot be read") && validate.err().contains("line 2"), validate.err());
        Files.writeString(cfg, "fluent-port: 24224\nfluent-shared-key-file: " + key + "\n");
        CliRun valid = CliRun.run("validate", "-c", cfg.toString());
        assertEquals(0, valid.code(), valid.toString());
        assertTrue(valid.out().contains("(ack durable, shared key from " + key + ")") && !valid.out().contains("k3y"), valid.out());
    }

    @Test
    void theFluentListenerAsksForAUserFromItsUsersFile() throws Exception {
        Path data = dir.resolve("data");
        Path key = Files.writeString(dir.resolve("fluent.key"), "k3y\n");
        Path users = Files.writeString(dir.resolve("fluent.users"), "# name:password\nalice:pa:ss-1\n\nbob:pw-2\n");
        Serving s = new Serving("--port", "0", "--admin-port", "0", "--fluent-port", "0", "--data", data.toString(),
                "--fluent-shared-key-file", key.toString(), "--fluent-users-file", users.toString());
        int code;
        try {
            int fluent = Integer.parseInt(s.await(
                    "fluent +tcp://127\\.0\\.0\\.1:(\\d+)  \\(Fluent Forward, ack durable, shared key and users\\)"));
            s.await("(ready); stop with Ctrl-C or SIGTERM");
            try (java.net.Socket c = new java.net.Socket("127.0.0.1", fluent)) {
                c.setSoTimeout(10_000);
                org.msgpack.value.Value helo = org.msgpack.core.MessagePack.newDefaultUnpacker(c.getInputStream()).unpackValue();
                org.msgpack.value.Value auth = helo.asArrayValue().get(1).asMapValue().map()
                        .get(org.msgpack.value.ValueFactory.newString("auth"));
                assertEquals(32, auth.asRawValue().asByteArray().length, "an auth salt: a user is asked for: " + helo);
            }
        } finally {
            code = s.stop();
        }
        assertEquals(0, code, s.printed());
        assertFalse(s.printed().contains("pa:ss-1") || s.printed().contains("pw-2"), "passwords are never printed");

        CliRun noKey = CliRun.run("serve", "--data", data.toString(), "--port", "0", "--admin-port", "0",
                "--fluent-port", "0", "--fluent-users-file", users.toString());
        assertEquals(2, noKey.code(), noKey.toString());
        assertTrue(noKey.err().contains("fluent-users-file is set") && noKey.err().contains("--fluent-shared-key-file"),
                noKey.err());
        Path bad = Files.writeString(dir.resolve("bad.users"), "alice:pw\ncarol\n");
        CliRun badLine = CliRun.run("serve", "--data", data.toString(), "--port", "0", "--admin-port", "0",
                "--fluent-port", "0", "--fluent-shared-key-file", key.toString(), "--fluent-users-file", bad.toString());
        assertEquals(2, badLine.code(), badLine.toString());
        assertTrue(badLine.err().contains("line 2 is not name:password"), badLine.err());
        Path twice = Files.writeString(dir.resolve("twice.users"), "alice:pw\nalice:other\n");
        Path cfg = Files.writeString(dir.resolve("fluent.yaml"), "fluent-port: 24224\nfluent-shared-key-file: " + key
                + "\nfluent-users-file: " + twice + "\n");
        CliRun validate = CliRun.run("validate", "-c", cfg.toString());
        assertEquals(1, validate.code(), validate.toString());
        assertTrue(validate.err().contains("names user 'alice' again") && validate.err().contains("line 3"), validate.err());
        Files.writeString(cfg, "fluent-port: 24224\nfluent-shared-key-file: " + key + "\nfluent-users-file: " + users + "\n");
        CliRun valid = CliRun.run("validate", "-c", cfg.toString());
        assertEquals(0, valid.code(), valid.toString());
        assertTrue(valid.out().contains("users from " + users) && !valid.out().contains("pw-2"), valid.out());
    }

    @Test
    void servesStoresAndStopsGracefullyWithASummary() throws Exception {
        Path data = dir.resolve("data");
        Serving s = new Serving("--port", "0", "--admin-port", "0", "--data", data.toString(), "--sync-interval", "20ms");

        int port = Integer.parseInt(s.await("listen +tcp://127\\.0\\.0\\.1:(\\d+)"));
        int adminPort = Integer.parseInt(s.await("admin +http://127\\.0\\.0\\.1:(\\d+)"));
        s.await("(ready); stop with Ctrl-C or SIGTERM");
        assertTrue(s.out.text.toString().contains("data        " + data.toAbsolutePath()), s.out.text.toString());

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode());

        String lines = "{\"level\":\"INFO\",\"service\":\"demo\",\"msg\":\"hello\"}\n{\"msg\":\"two\"}\n{not json\n";
        CliRun sent = CliRun.run(c -> ((SendCommand) c.getSubcommands().get("send").getCommand()).stdin =
                new ByteArrayInputStream(lines.getBytes(StandardCharsets.UTF_8)), "send", "--port", Integer.toString(port));
        assertEquals(0, sent.code(), sent.toString());

        // the metrics see the three records once they are durable
        String metrics = "";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && !metrics.contains("logpipe_durable_records_total 3.0")) {
            metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
        assertTrue(metrics.contains("logpipe_durable_records_total 3.0"), metrics);
        assertTrue(metrics.contains("logpipe_received_records_total{format=\"json\"} 3.0"), metrics);
        assertTrue(metrics.contains("logpipe_rejected_records_total{reason=\"invalid_json\"} 1.0"), metrics);
        assertTrue(metrics.contains("logpipe_writer_batch_records_count"), metrics);

        CliRun stats = CliRun.run("stats", "--admin", "http://127.0.0.1:" + adminPort);
        assertEquals(0, stats.code(), stats.toString());
        assertTrue(stats.out().contains("durable                     3"), stats.out());
        for (String[] form : new String[][] {{"--admin", "http://127.0.0.1:" + adminPort + "/stats"},
                {"--admin", "127.0.0.1:" + adminPort}, {"--admin-port", Integer.toString(adminPort)}}) {
            CliRun again = CliRun.run("stats", form[0], form[1], "--json");
            assertEquals(0, again.code(), String.join(" ", form) + ": " + again);
            assertTrue(again.out().matches("(?s).*\"durable_records\"\\s*:\\s*3\\b.*"), again.out());
        }

        assertEquals(0, s.stop(), s.printed());
        String o = s.out.text.toString();
        assertTrue(o.contains("logpipe: test: shutting down"), o);
        assertTrue(o.contains("  received  3 records (json 3)\n"), o);
        assertTrue(o.contains("  stored    3 records"), o);
        assertTrue(o.contains("  rejected  1 frame (invalid_json 1)"), o);

        CliRun tail = CliRun.run("tail", "--data", data.toString(), "--format", "json");
        assertEquals(3, Arrays.stream(tail.out().split("\n")).filter(l -> l.startsWith("{")).count(), tail.toString());
        assertTrue(tail.out().contains("\"service\":\"demo\",\"message\":\"hello\""), tail.out());
    }
}
