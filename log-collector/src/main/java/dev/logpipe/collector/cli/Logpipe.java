package dev.logpipe.collector.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Builds the {@code logpipe} command tree with GNU-style error handling: errors go to stderr as
 * {@code logpipe CMD: message} followed by a hint to {@code --help}, usage errors exit with 2,
 * failures with 1, and a {@link CliException} prints its message without a stack trace.
 *
 * <p>Threading: each returned {@link CommandLine} is confined to the thread that executes it.
 */
public final class Logpipe {

    private Logpipe() {
    }

    /** The command tree writing to {@code out} and {@code err}. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new LogpipeCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setAbbreviatedOptionsAllowed(false);
        cl.setUsageHelpAutoWidth(true); // use a wide terminal's width; 80 columns otherwise
        cl.setParameterExceptionHandler(Logpipe::onUsageError);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> onFailure(ex, commandLine));
        return cl;
    }

    private static int onUsageError(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return CliException.USAGE;
    }

    private static int onFailure(Exception ex, CommandLine cmd) {
        PrintWriter err = cmd.getErr();
        cmd.getOut().flush();
        if (ex instanceof CliException ce) {
            err.println(cmd.getCommandSpec().qualifiedName() + ": " + ce.getMessage());
            err.flush();
            return ce.exitCode();
        }
        err.println(cmd.getCommandSpec().qualifiedName() + ": internal error: " + ex);
        ex.printStackTrace(err);
        err.println("This is a bug in logpipe; please report it with the trace above.");
        err.flush();
        return CliException.FAILURE;
    }
}
