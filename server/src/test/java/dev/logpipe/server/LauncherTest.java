package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    /**
     * The launcher's memory and JIT defaults, run for real: a copy of ./logpipe beside a jar it need not build,
     * with a {@code java} that prints what it was given.
     */
    @Test
    void eachCommandGetsItsHeapAndCollectorAndServeLaterC2UnlessJavaOptsChooses(@TempDir Path dir) throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Files.copy(REPO.resolve("logpipe"), repo.resolve("logpipe"));
        Files.createDirectories(repo.resolve("server/target"));
        Files.writeString(repo.resolve("server/target/logpipe.jar"), "not a jar");
        Path java = Files.createDirectories(dir.resolve("jdk/bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\necho \"MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX\"\nfor a in \"$@\"; do echo \"$a\"; done\n");
        assertTrue(java.toFile().setExecutable(true));
        assertTrue(repo.resolve("logpipe").toFile().setExecutable(true));

        List<String> serve = launch(repo, dir, "", "serve", "--port", "0");
        assertTrue(serve.containsAll(List.of("-Xmx96m", "-Xmn48m", "-XX:SurvivorRatio=1", "-XX:+UseSerialGC")),
                serve.toString());
        assertTrue(serve.contains("MALLOC_ARENA_MAX=2"), serve.toString());
        assertEquals(List.of("-jar", repo.resolve("server/target/logpipe-run.jar").toString(), "serve", "--port", "0"),
                serve.subList(serve.size() - 5, serve.size()));

        List<String> jit = List.of("-XX:Tier4InvocationThreshold=25000", "-XX:Tier4MinInvocationThreshold=3000",
                "-XX:Tier4CompileThreshold=75000", "-XX:Tier4BackEdgeThreshold=200000");
        assertTrue(serve.containsAll(jit), "serve's C2 thresholds: " + serve);
        // JAVA_OPTS comes after the launcher's flags, so a threshold of one's own wins (the JVM takes the last)
        List<String> ownJit = launch(repo, dir, "-XX:Tier4CompileThreshold=15000", "serve");
        assertTrue(ownJit.lastIndexOf("-XX:Tier4CompileThreshold=15000") > ownJit.indexOf("-XX:Tier4CompileThreshold=75000"),
                ownJit.toString());

        List<String> ownGc = launch(repo, dir, "-XX:+UseG1GC", "serve");
        assertTrue(ownGc.containsAll(List.of("-XX:+UseG1GC", "-Xmx96m")) && !ownGc.contains("-XX:+UseSerialGC")
                && !ownGc.contains("-Xmn48m"), "a collector of one's own keeps the heap cap only: " + ownGc);
        for (String heap : List.of("-Dx=1 -Xmx2g", "-Xms512m")) {
            List<String> ownHeap = launch(repo, dir, heap, "serve");
            assertTrue(!ownHeap.contains("-Xmx96m") && !ownHeap.contains("-Xmn48m") && !ownHeap.contains("-XX:+UseSerialGC"),
                    "a heap of one's own gets none of the defaults: " + ownHeap);
        }

        List<String> tail = launch(repo, dir, "", "tail");
        assertTrue(tail.containsAll(List.of("-Xmx128m", "-XX:+UseSerialGC")) && !tail.contains("-Xmn48m")
                && tail.stream().noneMatch(a -> a.startsWith("-XX:Tier4")), tail.toString());
        List<String> ownTailHeap = launch(repo, dir, "-Xmx1g", "verify");
        assertTrue(!ownTailHeap.contains("-Xmx128m") && !ownTailHeap.contains("-XX:+UseSerialGC"), ownTailHeap.toString());
        List<String> forward = launch(repo, dir, "", "forward", "kafka");
        assertTrue(forward.containsAll(List.of("-Xmx128m", "-XX:+UseSerialGC")), forward.toString());
    }

    /**
     * Launchers started together while the jar is stale (after a pull: serve in one terminal, tail in
     * another) build it once, and none runs a jar still being written: with a {@code mvn} that writes
     * the jar in two steps a second apart, and a {@code java} that prints the jar it was given.
     */
    @Test
    void launchersStartedTogetherBuildOnceAndRunOnlyAFinishedJar(@TempDir Path dir) throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Files.copy(REPO.resolve("logpipe"), repo.resolve("logpipe"));
        assertTrue(repo.resolve("logpipe").toFile().setExecutable(true));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path builds = dir.resolve("builds.log");
        Files.writeString(bin.resolve("mvn"), "#!/bin/sh\necho build >> '" + builds + "'\nmkdir -p server/target\n"
                + "printf partial > server/target/logpipe.jar\nsleep 1\nprintf finished > server/target/logpipe.jar\n");
        Path java = Files.createDirectories(dir.resolve("jdk/bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\nprev=\nfor a in \"$@\"; do [ \"$prev\" = -jar ] && cat \"$a\"; prev=$a; done\n");
        assertTrue(bin.resolve("mvn").toFile().setExecutable(true) && java.toFile().setExecutable(true));

        List<Process> launched = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ProcessBuilder pb = new ProcessBuilder(repo.resolve("logpipe").toString(), "tail").redirectErrorStream(true);
            pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
            pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
            launched.add(pb.start());
        }
        for (Process p : launched) {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out);
            assertTrue(out.endsWith("finished"), "ran the finished jar: " + out);
        }
        assertEquals(List.of("build"), Files.readAllLines(builds), "built once");
    }

    private static List<String> launch(Path repo, Path dir, String javaOpts, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(repo.resolve("logpipe").toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        pb.environment().put("JAVA_OPTS", javaOpts);
        pb.environment().remove("MALLOC_ARENA_MAX");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return Arrays.asList(out.split("\n"));
    }

    private static TreeSet<String> entry(String pom, String name) {
        Matcher m = Pattern.compile("<" + name + ">(.*?)</" + name + ">", Pattern.DOTALL).matcher(pom);
        assertTrue(m.find(), name + " not in server/pom.xml");
        return new TreeSet<>(Arrays.asList(m.group(1).trim().split("\\s+")));
    }
}
