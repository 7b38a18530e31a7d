package dev.logpipe.server;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code logpipe forward}: only dispatches to its destinations ({@code kafka}).
 *
 * <p>Threading: confined to the thread that executes the command.
 */
@Command(name = "forward",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Forward the journal to another system, following it live.",
        synopsisSubcommandLabel = "DESTINATION",
        description = {"", "Reads the journal read-only, beside a running 'logpipe serve' or at rest.", ""},
        commandListHeading = "%nDestinations:%n",
        subcommands = {ForwardKafkaCommand.class})
public final class ForwardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw CliException.usage("no destination given; try 'logpipe forward kafka --help'");
    }
}
