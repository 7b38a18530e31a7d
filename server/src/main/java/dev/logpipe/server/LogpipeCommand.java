package dev.logpipe.server;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The top-level {@code logpipe} command: only dispatches to its subcommands.
 *
 * <p>Threading: confined to the thread that executes the command line.
 */
@Command(name = "logpipe",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "logpipe: store log records from TCP and in-process senders in a local journal, and read them back.",
        synopsisSubcommandLabel = "COMMAND",
        description = {"",
                "Start a server with 'logpipe serve', send it lines with 'logpipe send', and read",
                "what it stored with 'logpipe tail'. Every command has --help."},
        commandListHeading = "%nCommands:%n",
        footerHeading = "%n",
        footer = {"Exit status: 0 success, 1 failure (e.g. journal damaged, server unreachable),",
                "2 usage or configuration error.",
                "Example:  logpipe serve --data ./data &",
                "          echo '{\"level\":\"INFO\",\"service\":\"demo\",\"msg\":\"hello\"}' | logpipe send",
                "          logpipe tail -f"},
        subcommands = {ServeCommand.class, TailCommand.class, SendCommand.class, ForwardCommand.class, StatsCommand.class,
                VerifyCommand.class, RepairCommand.class, ValidateCommand.class, CommandLine.HelpCommand.class})
public final class LogpipeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        // `logpipe` alone: show what there is to do, but as an error, so scripts notice
        spec.commandLine().usage(spec.commandLine().getErr());
        spec.commandLine().getErr().println();
        spec.commandLine().getErr().println("logpipe: no command given; try 'logpipe serve' or 'logpipe --help'");
        return CliException.USAGE;
    }
}
