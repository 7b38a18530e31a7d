package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.server.internal.config.ConfigLoader;
import dev.logpipe.server.internal.config.Interpolator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidateCommandTest {

    @TempDir
    Path dir;

    private CliRun validate(String yaml, Map<String, String> env) throws Exception {
        Path f = dir.resolve("logpipe.yaml");
        Files.writeString(f, yaml);
        return CliRun.run(cl -> ((ValidateCommand) cl.getSubcommands().get("validate").getCommand()).loader =
                new ConfigLoader(Interpolator.of(env)), "validate", "--config", f.toString());
    }

    @Test
    void validConfigPrintsTheResolvedSettingsAndExits0() throws Exception {
        CliRun r = validate("port: ${PORT:-6000}\nsync-interval: batch\nretention: [7d, 10GB]\n", Map.of());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("logpipe.yaml: valid"), r.out());
        assertTrue(r.out().contains("listen      tcp://127.0.0.1:6000"), r.out());
        assertTrue(r.out().contains("sync        batch"), r.out());
        assertTrue(r.out().contains("retention   7d,10GB"), r.out());
    }

    @Test
    void settingsArePrintedBackAsWritten() throws Exception {
        CliRun r = validate("retention: 10MB, 2h\nmax-frame: 1.5MB\nchannel-bytes: 100MB\nidle-timeout: 90s\n"
                + "sync-interval: 1m\ndrain-timeout: 1h30m\n", Map.of());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("retention   10MB,2h\n"), r.out());
        assertTrue(r.out().contains("max-frame 1.5MB (truncate)"), r.out());
        assertTrue(r.out().contains("idle-timeout 90s\n"), r.out());
        assertTrue(r.out().contains("records / 100MB\n"), r.out());
        assertTrue(r.out().contains("sync        every 1m\n"), r.out());
        assertTrue(r.out().contains("drain       1h30m\n"), r.out());
    }

    @Test
    void retentionWithALoneCapitalMIsInvalidNotTenMinutes() throws Exception {
        CliRun r = validate("retention: 10M\n", Map.of());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("logpipe.yaml:1: retention: '10M' is ambiguous; write 10m for minutes, or 10MB or 10MiB"),
                r.toString());
        assertEquals("", r.out());
    }

    /** What serve refuses before it starts, validate does not call valid (it used to, for all of these). */
    @Test
    void whatServeWouldRefuseIsInvalid() throws Exception {
        for (String[] c : new String[][] {
            {"bind: 127.0.0.1,0.0.0.0\n", "127.0.0.1,0.0.0.0"},
            {"admin-bind: 999.1.1.1\n", "999.1.1.1"},
            {"tls-cert: " + dir.resolve("none.pem") + "\ntls-key: " + dir.resolve("none.key") + "\n", "none.pem"},
            {"channel-bytes: 1TB\n", "need a heap of at least"},
            {"min-free: " + Files.getFileStore(dir).getTotalSpace() + "\n", "is not less than the whole file system"},
        }) {
            CliRun r = validate(c[0], Map.of());
            assertEquals(1, r.code(), c[0] + r);
            assertTrue(r.err().contains("logpipe.yaml: ") && r.err().contains(c[1]), c[0] + r);
            assertEquals("", r.out(), c[0]);
        }
    }

    @Test
    void invalidConfigExits1NamingLineAndKey() throws Exception {
        CliRun r = validate("port: 5140\nmax-frame: huge\n", Map.of());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("logpipe.yaml:2: max-frame: 'huge' is not a size"), r.toString());
    }

    @Test
    void yamlSyntaxErrorNamesLineColumnAndCause() throws Exception {
        CliRun r = validate("port: 5140\n\tdata: ./d\n", Map.of());
        assertEquals(1, r.code(), r.toString());
        assertEquals("logpipe validate: " + dir.resolve("logpipe.yaml") + ":2:1: not valid YAML: while scanning for the next"
                + " token: found character '\\t(TAB)' that cannot start any token. (Do not use \\t(TAB) for indentation)\n",
                r.err());
    }

    @Test
    void unsetVariableIsNamed() throws Exception {
        CliRun r = validate("data: ${LOGPIPE_DATA}\n", Map.of());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("environment variable LOGPIPE_DATA is not set"), r.toString());
    }

    @Test
    void theForwardSectionIsCheckedAndPrinted() throws Exception {
        CliRun r = validate("data: /srv/j\nforward:\n  kafka:\n    bootstrap-servers: k:9092\n    topic: logs\n"
                + "    transaction-records: 500\n", Map.of());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("logpipe forward kafka --config " + dir.resolve("logpipe.yaml")
                + " would forward the journal in /srv/j with:\n  bootstrap-servers: k:9092\n  topic: logs\n"
                + "  mode: exactly-once (default)\n"), r.out());
        assertTrue(r.out().contains("  transaction-records: 500\n"), r.out());
        r = validate("forward:\n  kafka:\n    bootstrap-servers: k:9092\n    topik: logs\n", Map.of());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("logpipe validate: " + dir.resolve("logpipe.yaml")
                + ":4: forward.kafka: unknown key 'topik'; known keys: bootstrap-servers, topic,"), r.toString());
    }

    @Test
    void configIsRequired() {
        CliRun r = CliRun.run("validate");
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe validate: --config FILE is required; see 'logpipe validate --help'\n", r.err());
    }
}
