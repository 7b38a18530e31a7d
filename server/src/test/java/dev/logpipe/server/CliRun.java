package dev.logpipe.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.function.Consumer;
import picocli.CommandLine;

/** Runs the logpipe command line in-process with captured stdout and stderr. */
record CliRun(int code, String out, String err) {

    static CliRun run(String... args) {
        return run(cl -> { }, args);
    }

    /** Runs with {@code setup} applied to the command line first (to swap a command's collaborators). */
    static CliRun run(Consumer<CommandLine> setup, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Logpipe.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        setup.accept(cl);
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
    }
}
