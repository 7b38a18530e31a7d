package dev.logpipe.server;

import dev.logpipe.server.internal.config.ConfigException;
import dev.logpipe.server.internal.config.ConfigLoader;
import dev.logpipe.server.internal.config.ForwardKafkaSection;
import dev.logpipe.server.internal.config.ServeSettings;
import dev.logpipe.server.internal.config.SettingsLayer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code logpipe validate --config FILE}: checks a config file (syntax, keys, values, variables)
 * and prints the settings {@code serve} would run with, and those of {@code forward kafka --config}
 * when it has a {@code forward: kafka:} section; exits 1 when it is invalid.
 *
 * <p>Threading: confined to the thread that executes the command.
 */
@Command(name = "validate",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Check a config file and print the settings 'logpipe serve' would use.",
        description = {"",
                "Interpolates $${VAR} and $${VAR:-default} from the environment, as serve does.",
                "Exit status: 0 valid, 1 invalid (the message names the line and the key),",
                "2 usage error.",
                ""})
public final class ValidateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true, description = "the YAML config file to check")
    Path config;

    /** The loader; tests give one with a fixed environment. */
    ConfigLoader loader = ConfigLoader.withSystemEnv();

    @Override
    public Integer call() {
        ServeSettings settings;
        SettingsLayer layer;
        try {
            layer = loader.load(config);
            settings = ServeSettings.resolve(config, layer);
        } catch (ConfigException e) {
            throw CliException.failure(e.getMessage());
        }
        try {
            // what serve checks before it starts (heap, addresses, TLS files, free-space reserve): a config
            // serve would refuse is not valid (the port-in-use probe is left out: a server may be using it)
            ServeCommand.checkSettings(settings);
        } catch (CliException e) {
            throw CliException.failure(config + ": " + e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(config + ": valid. logpipe serve --config " + config + " would run with:");
        for (String line : settings.describe()) {
            out.println("  " + line);
        }
        ForwardKafkaSection forward = layer.forwardKafka();
        if (forward != null) {
            out.println("logpipe forward kafka --config " + config + " would forward the journal in "
                    + settings.data() + " with:");
            for (String line : forward.describe()) {
                out.println("  " + line);
            }
        }
        out.flush();
        return 0;
    }
}
