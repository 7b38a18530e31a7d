package dev.logpipe.server;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.MaxValuesExceededException;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.MutuallyExclusiveArgsException;
import picocli.CommandLine.OverwrittenOptionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Builds the {@code logpipe} command tree with the house style of errors: each goes to stderr as
 * one line {@code logpipe CMD: what happened; what to do}. Usage errors (picocli's, through its
 * {@link CommandLine.IParameterExceptionHandler}, rephrased from the exception's fields) exit with
 * 2; failures (through its {@link CommandLine.IExecutionExceptionHandler}) with 1, and a
 * {@link CliException} prints its message without a stack trace.
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
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + usageMessage(ex, args));
        err.flush();
        return CliException.USAGE;
    }

    /**
     * A usage error as {@code what happened; what to do}, from picocli's exception types rather
     * than its English: the options and values involved come from the exception's own fields.
     */
    static String usageMessage(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        String help = "see '" + name + " --help'";
        if (ex instanceof UnmatchedArgumentException u) {
            String arg = u.getUnmatched().isEmpty() ? "?" : u.getUnmatched().get(0);
            List<String> suggestions = u.getSuggestions();
            String guess = suggestions.isEmpty() ? "" : "did you mean " + String.join(" or ", suggestions.stream()
                    .map(sg -> "'" + sg + "'").toList()) + "? ";
            if (u.isUnknownOption()) {
                return "unknown option '" + arg + "'; " + guess + help;
            }
            if (!cmd.getSubcommands().isEmpty()) {
                return "unknown command '" + arg + "'; " + guess + "the commands are "
                        + String.join(", ", cmd.getSubcommands().keySet()) + " (" + help + ")";
            }
            return "unexpected argument '" + arg + "'; " + help;
        }
        if (ex instanceof OverwrittenOptionException o) {
            return optionName(o.getOverwritten()) + " is given twice; give it once";
        }
        if (ex instanceof MissingParameterException m) {
            List<ArgSpec> missing = m.getMissing();
            ArgSpec first = missing.isEmpty() ? null : missing.get(0);
            if (first != null && first.isOption() && String.valueOf(m.getMessage()).startsWith("Missing required parameter for option")) {
                return optionName(first) + " needs a value (" + first.paramLabel() + "); write " + optionName(first) + " "
                        + first.paramLabel();
            }
            if (first != null) {
                return (first.isOption() ? optionName(first) + " " + first.paramLabel() : first.paramLabel())
                        + " is required; " + help;
            }
        }
        if (ex instanceof MutuallyExclusiveArgsException || ex instanceof MaxValuesExceededException) {
            String conflict = exclusiveConflict(cmd, args);
            if (conflict != null) {
                return conflict;
            }
        }
        if (ex.getArgSpec() != null && ex.getArgSpec().isOption() && ex.getValue() != null
                && String.valueOf(ex.getMessage()).startsWith("Invalid value for option")) {
            ArgSpec spec = ex.getArgSpec();
            Class<?> type = spec.type();
            String expected;
            if (type.isEnum()) {
                expected = "use one of " + String.join(", ", Arrays.stream(type.getEnumConstants()).map(Object::toString).toList());
            } else if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
                expected = "use a whole number";
            } else {
                expected = help;
            }
            return optionName(spec) + ": '" + ex.getValue() + "' is not valid; " + expected;
        }
        if (String.valueOf(ex.getMessage()).startsWith("Unknown subcommand")) {
            return ex.getMessage().replace("Unknown subcommand", "unknown command").replaceAll("\\.$", "")
                    + "; the commands are " + String.join(", ", cmd.getSubcommands().keySet());
        }
        // Our own ParameterExceptions already say what happened and what to do.
        return ex.getMessage();
    }

    /** For options of an exclusive group given together (or one twice): which, and what to do. */
    private static String exclusiveConflict(CommandLine cmd, String[] args) {
        for (ArgGroupSpec group : cmd.getCommandSpec().argGroups()) {
            if (!group.exclusive()) {
                continue;
            }
            List<String> given = new ArrayList<>();
            for (String a : args) {
                for (OptionSpec o : group.options()) {
                    for (String n : o.names()) {
                        if (a.equals(n) || a.startsWith(n + "=")) {
                            given.add(o.longestName());
                        }
                    }
                }
            }
            if (given.size() < 2) {
                continue;
            }
            String all = String.join(", ", group.options().stream().map(OptionSpec::longestName).toList());
            if (given.stream().distinct().count() == 1) {
                return given.get(0) + " is given twice; give it once";
            }
            return String.join(" and ", given.stream().distinct().toList()) + " do not go together; give only one of " + all;
        }
        return null;
    }

    private static String optionName(ArgSpec spec) {
        return spec instanceof OptionSpec o ? o.longestName() : spec.paramLabel();
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
