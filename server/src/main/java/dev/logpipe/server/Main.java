package dev.logpipe.server;

import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * The entry point of {@code logpipe}: the runnable jar's Main-Class and what {@code ./logpipe} runs.
 *
 * <p>Threading: runs on the main thread; the commands say what else they start.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        // Before any Chronicle or logging class loads: a manifest cannot carry -D flags, and the
        // library logs at INFO by default, which would bury our own output.
        setIfAbsent("chronicle.analytics.disable", "true");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        setIfAbsent("org.slf4j.simpleLogger.log.dev.logpipe", "info");
        // Buffered stdout, flushed by the commands when they have said something complete:
        // tail prints millions of lines, and an autoflushing writer would make one syscall each.
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(
                new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), 1 << 16), false);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        CommandLine cl = Logpipe.commandLine(out, err);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
