package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.server.internal.config.ConfigLoader;
import dev.logpipe.server.internal.config.Interpolator;
import dev.logpipe.server.internal.config.ServeSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** serve's RELP and Fluent options: flags, config keys, defaults and the one combination refused. */
class ServeAckedListenersTest {

    @TempDir
    Path dir;

    private static ServeSettings settings(String... args) {
        CommandLine cl = Logpipe.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        CommandLine serve = cl.getSubcommands().get("serve");
        ((ServeCommand) serve.getCommand()).loader = new ConfigLoader(Interpolator.of(Map.of()));
        String[] full = new String[args.length + 1];
        full[0] = "serve";
        System.arraycopy(args, 0, full, 1, args.length);
        cl.parseArgs(full);
        return ((ServeCommand) serve.getCommand()).settings();
    }

    @Test
    void offByDefaultAndDurable() {
        ServeSettings s = settings();
        assertNull(s.relpPort());
        assertNull(s.fluentPort());
        assertEquals("durable", s.ackLevel());
        assertTrue(s.describe().stream().noneMatch(l -> l.startsWith("relp") || l.startsWith("fluent")));
    }

    @Test
    void flagsAndConfigKeys() throws Exception {
        ServeSettings s = settings("--relp-port", "2514", "--fluent-port=24224", "--ack-level", "written");
        assertEquals(2514, s.relpPort());
        assertEquals(24224, s.fluentPort());
        assertEquals("written", s.ackLevel());
        assertTrue(s.describe().stream().anyMatch(l -> l.startsWith("relp") && l.contains(":2514")), s.describe().toString());
        Path cfg = dir.resolve("logpipe.yaml");
        Files.writeString(cfg, "relp-port: 3514\nfluent-port: 34224\nack-level: durable\n");
        ServeSettings f = settings("--config", cfg.toString());
        assertEquals(3514, f.relpPort());
        assertEquals(34224, f.fluentPort());
    }

    @Test
    void badValuesAreUsageErrors() {
        assertThrows(CommandLine.ParameterException.class, () -> settings("--ack-level", "maybe"));
        assertThrows(CommandLine.ParameterException.class, () -> settings("--relp-port", "70000"));
    }

    @Test
    void durableAcksWithoutSyncsAreRefused() {
        CliException e = assertThrows(CliException.class, () -> settings("--relp-port", "2514", "--sync-interval", "never"));
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains("--ack-level written"), e.getMessage());
        assertEquals("written", settings("--relp-port", "2514", "--sync-interval", "never", "--ack-level", "written").ackLevel());
        assertNull(settings("--sync-interval", "never").relpPort(), "no acked listener: never is fine");
    }

    @Test
    void aBusyRelpPortIsNamed() throws Exception {
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CliRun r = CliRun.run("serve", "--data", dir.resolve("data").toString(), "--port", "0", "--admin-port", "0",
                    "--relp-port", Integer.toString(busy.getLocalPort()));
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("RELP port " + busy.getLocalPort() + " on 127.0.0.1 is in use; pass --relp-port"),
                    r.toString());
        }
    }
}
