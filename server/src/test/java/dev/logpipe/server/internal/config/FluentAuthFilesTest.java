package dev.logpipe.server.internal.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Fluent shared-key and users files as editors leave them: line ends, a byte-order mark, comments. */
class FluentAuthFilesTest {

    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        return Files.write(dir.resolve(name), text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aKeyLosesItsLineEndAndAByteOrderMarkNothingElse() throws Exception {
        assertEquals("k3y", ServeSettings.readSharedKey(write("a.key", "\uFEFFk3y\r\n")));
        assertEquals(" k3y ", ServeSettings.readSharedKey(write("b.key", " k3y \n\n")), "spaces are part of a key");
        assertThrows(ConfigException.class, () -> ServeSettings.readSharedKey(write("c.key", "\uFEFF\r\n")));
    }

    @Test
    void usersAreNamePasswordLines() throws Exception {
        Path f = write("u", "\uFEFF# users\r\nalice:pa:ss\r\n\r\nbob:x\r\n");
        assertEquals(Map.of("alice", "pa:ss", "bob", "x"), ServeSettings.readUsers(f));
        for (String bad : new String[] {":pw\n", "alice:\n", "alice\n", "# only a comment\n"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> ServeSettings.readUsers(write("bad", bad)));
            assertTrue(e.getMessage().startsWith("fluent-users-file "), e.getMessage());
        }
    }
}
