package dev.logpipe.it.support;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts the real {@code logpipe} command ({@code dev.logpipe.server.Main}) in a child JVM
 * with the test's own class path and the JVM flags Chronicle needs (taken from this JVM's
 * arguments, which surefire's argLine set), output redirected to files so a chatty child can never
 * block on a full pipe.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class ChildJvm {

    /** The CLI's entry point. */
    public static final String MAIN = "dev.logpipe.server.Main";

    private ChildJvm() {
    }

    /** The Chronicle --add-opens/--add-exports and -D flags of this JVM, to pass on to children. */
    public static List<String> inheritedFlags() {
        List<String> flags = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports")
                    || a.startsWith("-Dchronicle.")) {
                // not -Dio.netty.leakDetection.level=paranoid: it would make the server an order of
                // magnitude slower than what users run
                flags.add(a);
            }
        }
        if (flags.stream().noneMatch(f -> f.startsWith("-Dchronicle.analytics.disable"))) {
            flags.add("-Dchronicle.analytics.disable=true");
        }
        return flags;
    }

    /** The test class path: surefire's real one when it runs us through a manifest-only jar. */
    public static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** The command line for {@code java <flags> <jvmArgs> -cp <cp> Main <args>}. */
    public static List<String> command(List<String> jvmArgs, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(inheritedFlags());
        cmd.add("-XX:+UseSerialGC"); // a child on 2 shared cores: one GC thread, small footprint
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(MAIN);
        cmd.addAll(args);
        return cmd;
    }

    /** Starts {@code logpipe <args>} with stdout and stderr going to {@code out} and {@code err}. */
    public static Process start(Path out, Path err, List<String> jvmArgs, List<String> args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(jvmArgs, args));
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        return pb.start();
    }

    /** What a finished command printed and returned. */
    public record Result(int exitCode, String stdout, String stderr) {
        /** The standard output, line by line. */
        public List<String> lines() {
            return stdout.isEmpty() ? List.of() : Arrays.asList(stdout.split("\n"));
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout:\n" + abbreviate(stdout) + "\n--- stderr:\n" + abbreviate(stderr);
        }
    }

    /**
     * Runs {@code logpipe <args>} to completion, feeding {@code stdin} (may be null), and returns
     * its output; kills it and fails if it runs longer than {@code timeout}.
     */
    public static Result run(Path workDir, Duration timeout, byte[] stdin, String... args) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path out = Files.createTempFile(workDir, "cli-", ".out");
        Path err = Files.createTempFile(workDir, "cli-", ".err");
        // a short-lived command: C1 only starts faster on a loaded machine
        Process p = start(out, err, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"), List.of(args));
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin);
            }
        }
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("logpipe " + String.join(" ", args) + " did not finish within " + timeout
                    + "; stdout: " + abbreviate(read(out)) + "; stderr: " + abbreviate(read(err)));
        }
        return new Result(p.exitValue(), read(out), read(err));
    }

    /** The file's content as UTF-8 ("" if missing). */
    public static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "<cannot read " + file + ": " + e + ">";
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 4000 ? s : s.substring(0, 1500) + "\n...\n" + s.substring(s.length() - 2500);
    }
}
