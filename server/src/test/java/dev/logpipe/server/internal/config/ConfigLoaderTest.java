package dev.logpipe.server.internal.config;

import dev.logpipe.filesink.SyncPolicy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private final ConfigLoader loader = new ConfigLoader(Interpolator.of(Map.of("LP_PORT", "6001", "LP_DIR", "/srv/logs")));

    private SettingsLayer load(String yaml) throws ConfigException {
        return loader.load("test.yaml", new StringReader(yaml));
    }

    private String error(String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml)).getMessage();
    }

    @Test
    void readsEveryKeyTypedAndInterpolated() throws Exception {
        SettingsLayer l = load("""
                # a comment with ${UNSET_IN_A_COMMENT} is not interpolated
                bind: 0.0.0.0
                port: ${LP_PORT}
                data: ${LP_DIR}/journal
                admin-port: ${LP_ADMIN:-5181}
                sync-interval: batch
                retention: [7d, 10GB]
                max-frame: 2MiB
                idle-timeout: 0
                """);
        assertEquals("0.0.0.0", l.get(ConfigKey.BIND));
        assertEquals(6001, l.get(ConfigKey.PORT));
        assertEquals(Path.of("/srv/logs/journal"), l.get(ConfigKey.DATA));
        assertEquals(5181, l.get(ConfigKey.ADMIN_PORT));
        assertEquals(SyncPolicy.Kind.BATCH, ((SyncPolicy) l.get(ConfigKey.SYNC_INTERVAL)).kind());
        assertEquals(new Retention(Duration.ofDays(7), 10_000_000_000L), l.get(ConfigKey.RETENTION));
        assertEquals(2L << 20, l.get(ConfigKey.MAX_FRAME));
        assertEquals(Duration.ZERO, l.get(ConfigKey.IDLE_TIMEOUT));
        assertEquals("test.yaml line 3", l.origin(ConfigKey.PORT));
    }

    @Test
    void retentionAlsoTakesACommaString() throws Exception {
        assertEquals(new Retention(Duration.ofDays(3), 1L << 30), load("retention: 3d,1GiB\n").get(ConfigKey.RETENTION));
    }

    @Test
    void emptyFileAndEmptyValuesSetNothing() throws Exception {
        assertTrue(load("").isEmpty());
        assertTrue(load("# only a comment\n").isEmpty());
        assertTrue(load("port:\n").isEmpty());
    }

    /** A second document used to be ignored, unchecked: its settings silently did not apply. */
    @Test
    void aSecondYamlDocumentIsRefusedNotIgnored() throws Exception {
        assertEquals("test.yaml:4: a second YAML document (after '---'): a config is one document; put every setting in it",
                error("port: 0\ndata: ./d\n---\nretention: 1B\nbogus-key: 1\n"));
        assertEquals(5140, load("---\nport: 5140\n").get(ConfigKey.PORT), "one document that starts with '---' is fine");
    }

    @Test
    void unknownKeyNamesTheKeyTheLineAndAGuess() {
        String msg = error("port: 5140\nsync-intervall: 1s\n");
        assertTrue(msg.startsWith("test.yaml:2: unknown key 'sync-intervall'; did you mean 'sync-interval'?"), msg);
        assertTrue(msg.contains("known keys: bind, port"), msg);
    }

    @Test
    void unknownKeyWithNothingCloseListsTheKnownKeys() {
        String msg = error("\n\nzzzzzzzz: 1\n");
        assertTrue(msg.startsWith("test.yaml:3: unknown key 'zzzzzzzz'; known keys:"), msg);
    }

    @Test
    void badValueNamesKeyLineAndTheExpectedForm() {
        assertEquals("test.yaml:3: sync-interval: 'fast' is not a sync interval; use a duration such as 100ms, or batch, or never",
                error("port: 1\ndata: ./d\nsync-interval: fast\n"));
        assertEquals("test.yaml:1: port: port 70000 is out of range; use 1-65535 (or 0 for any free port)",
                error("port: 70000\n"));
        assertEquals("test.yaml:1: roll-cycle: 'weekly' is not one of: minutely, hourly, daily",
                error("roll-cycle: weekly\n"));
        assertEquals("test.yaml:1: max-frame: '10M' is ambiguous; write 10MB (powers of 1000) or 10MiB (powers of 1024)",
                error("max-frame: 10M\n"));
        assertEquals("test.yaml:1: retention: '10M' is ambiguous; write 10m for minutes, or 10MB or 10MiB for a size",
                error("retention: 10M\n"));
    }

    @Test
    void unsetVariableIsAnErrorOnItsLine() {
        assertEquals("test.yaml:2: data: environment variable LP_NOPE is not set; set it, or write ${LP_NOPE:-default}",
                error("port: 1\ndata: ${LP_NOPE}/x\n"));
    }

    @Test
    void structureErrorsAreNamed() {
        assertEquals("test.yaml:1: port: takes one value, not a list", error("port: [1, 2]\n"));
        assertEquals("test.yaml:2: port: takes a plain value, not a nested mapping", error("port:\n  value: 1\n"));
        assertTrue(error("- port\n").contains("must be a mapping"));
        assertTrue(error("port: 1\nport: 2\n").contains("key 'port' is given twice"), error("port: 1\nport: 2\n"));
        String syntax = error("port: 1\ndata: 'unclosed\n");
        assertTrue(syntax.startsWith("test.yaml:") && syntax.contains("not valid YAML"), syntax);
    }

    @Test
    void yamlSyntaxErrorsGiveTheParsersLineColumnAndWholeCause() {
        assertEquals("test.yaml:2:1: not valid YAML: while scanning for the next token: found character '\\t(TAB)' that"
                + " cannot start any token. (Do not use \\t(TAB) for indentation)", error("port: 1\n\tdata: x\n"));
        assertEquals("test.yaml:2:7: not valid YAML: while scanning a quoted scalar: found unexpected end of stream"
                + " (at line 4, column 1)", error("port: 1\ndata: 'unclosed\nbind: x\n"));
        assertEquals("test.yaml:2:7: not valid YAML: while parsing a flow sequence: expected ',' or ']', but got"
                + " <stream end> (at line 3, column 1)", error("port: 1\ndata: [x\n"));
        assertEquals("test.yaml:1:5: not valid YAML: mapping values are not allowed here", error("a: b: c\n"));
    }

    @Test
    void aSyntaxErrorLaterInTheFileIsReportedEvenAfterABadValue() {
        // the whole file is parsed first: the user learns of the broken YAML, not of a value read from it
        assertTrue(error("port: [1, 2]\ndata: 'x\n").startsWith("test.yaml:2:7: not valid YAML"), error("port: [1, 2]\ndata: 'x\n"));
    }

    @Test
    void missingFileSaysToCheckThePath(@TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class, () -> loader.load(dir.resolve("nope.yaml")));
        assertTrue(e.getMessage().contains("does not exist; check the path given to --config"), e.getMessage());
    }

    @Test
    void aFileThatIsNotTextSaysSo(@TempDir Path dir) throws Exception {
        // before: "cannot read config file ...: Input length = 1"
        Path f = dir.resolve("logpipe.yaml");
        Files.write(f, new byte[] {'p', 'o', 'r', 't', ':', ' ', (byte) 0xff, (byte) 0xfe, '\n'});
        ConfigException e = assertThrows(ConfigException.class, () -> loader.load(f));
        assertTrue(e.getMessage().contains("is not UTF-8 text"), e.getMessage());
    }

    @Test
    void flagsOverrideTheFileWhichOverridesDefaults(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("logpipe.yaml");
        Files.writeString(f, "port: 6000\nadmin-port: 6001\nsync-interval: batch\n");
        SettingsLayer file = loader.load(f);
        SettingsLayer flags = new SettingsLayer().set(ConfigKey.PORT, "7000", "--port");
        ServeSettings s = ServeSettings.resolve(f, file, flags);
        assertEquals(7000, s.port());                                  // flag beats file
        assertEquals(6001, s.adminPort());                             // file beats default
        assertEquals(SyncPolicy.Kind.BATCH, s.syncInterval().kind());  // file beats default
        assertEquals(Path.of("./data"), s.data());                     // default
        assertEquals(Retention.FOREVER, s.retention());
        assertNull(s.tlsCert());
    }

    @Test
    void contradictionsAreRefusedWithWhatToDo() {
        ConfigException e = assertThrows(ConfigException.class, () -> ServeSettings.resolve(null,
                new SettingsLayer().set(ConfigKey.TLS_CERT, "c.pem", "test.yaml line 4")));
        assertEquals("tls-cert is set (from test.yaml line 4) but tls-key is not; TLS needs both: pass --tls-cert FILE --tls-key FILE",
                e.getMessage());
        e = assertThrows(ConfigException.class, () -> ServeSettings.resolve(null,
                new SettingsLayer().set(ConfigKey.CHANNEL_BYTES, "1KiB", "--channel-bytes")));
        assertTrue(e.getMessage().contains("raise channel-bytes"), e.getMessage());
    }

    @Test
    void everyDefaultParses() {
        ServeSettings d = ServeSettings.defaults();
        assertEquals("127.0.0.1", d.bind());
        assertEquals(5140, d.port());
        assertEquals(5180, d.adminPort());
        assertEquals(SyncPolicy.every(Duration.ofMillis(100)), d.syncInterval());
        assertEquals(1L << 20, d.maxFrameBytes());
        assertTrue(Arrays.stream(ConfigKey.values()).allMatch(k -> k.description().length() > 10));
    }
}
