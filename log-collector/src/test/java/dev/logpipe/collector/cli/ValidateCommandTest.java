package dev.logpipe.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.internal.config.ConfigLoader;
import dev.logpipe.collector.internal.config.Interpolator;
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
        assertTrue(r.out().contains("retention   7d,9.3GiB"), r.out());
    }

    @Test
    void invalidConfigExits1NamingLineAndKey() throws Exception {
        CliRun r = validate("port: 5140\nmax-frame: huge\n", Map.of());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("logpipe.yaml:2: max-frame: 'huge' is not a size"), r.toString());
    }

    @Test
    void unsetVariableIsNamed() throws Exception {
        CliRun r = validate("data: ${LOGPIPE_DATA}\n", Map.of());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("environment variable LOGPIPE_DATA is not set"), r.toString());
    }

    @Test
    void configIsRequired() {
        CliRun r = CliRun.run("validate");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("Missing required option: '--config=FILE'"), r.toString());
    }
}
