package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The JVM flags Chronicle needs live in three places: the parent POM (tests), the ./logpipe
 * launcher, and the runnable jar's manifest (server/pom.xml). They must not drift apart.
 */
class LauncherTest {

    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Path REPO = MODULE.getParent();

    private static List<String> pomFlags() throws Exception {
        Matcher m = Pattern.compile("<chronicle\\.jvm\\.flags>(.*?)</chronicle\\.jvm\\.flags>", Pattern.DOTALL)
                .matcher(Files.readString(REPO.resolve("pom.xml")));
        assertTrue(m.find(), "chronicle.jvm.flags not found in the parent pom");
        return Arrays.asList(m.group(1).trim().split("\\s+"));
    }

    @Test
    void launcherPassesExactlyTheParentPomsChronicleFlags() throws Exception {
        String script = Files.readString(REPO.resolve("logpipe"));
        Matcher m = Pattern.compile("chronicle_flags=\\((.*?)\\)", Pattern.DOTALL).matcher(script);
        assertTrue(m.find(), "chronicle_flags array not found in ./logpipe");
        List<String> launcher = Arrays.asList(m.group(1).trim().split("\\s+"));
        assertEquals(pomFlags(), launcher);
        assertTrue(Files.isExecutable(REPO.resolve("logpipe")), "./logpipe must be executable");
    }

    @Test
    void manifestEntriesMirrorTheParentPomsOpensAndExports() throws Exception {
        String pom = Files.readString(MODULE.resolve("pom.xml"));
        List<String> opens = new ArrayList<>();
        List<String> exports = new ArrayList<>();
        for (String f : pomFlags()) {
            if (f.startsWith("--add-opens=")) {
                opens.add(f.substring("--add-opens=".length()).replace("=ALL-UNNAMED", ""));
            } else if (f.startsWith("--add-exports=")) {
                exports.add(f.substring("--add-exports=".length()).replace("=ALL-UNNAMED", ""));
            }
        }
        assertEquals(new TreeSet<>(opens), entry(pom, "Add-Opens"));
        assertEquals(new TreeSet<>(exports), entry(pom, "Add-Exports"));
    }

    private static TreeSet<String> entry(String pom, String name) {
        Matcher m = Pattern.compile("<" + name + ">(.*?)</" + name + ">", Pattern.DOTALL).matcher(pom);
        assertTrue(m.find(), name + " not in server/pom.xml");
        return new TreeSet<>(Arrays.asList(m.group(1).trim().split("\\s+")));
    }
}
