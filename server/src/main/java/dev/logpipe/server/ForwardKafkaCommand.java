package dev.logpipe.server;

import dev.logpipe.forward.kafka.DeliveryMode;
import dev.logpipe.forward.kafka.ForwarderException;
import dev.logpipe.forward.kafka.ForwarderMetrics;
import dev.logpipe.forward.kafka.ForwarderState;
import dev.logpipe.forward.kafka.KafkaForwarder;
import dev.logpipe.forward.kafka.KeyMode;
import dev.logpipe.forward.kafka.StartFrom;
import dev.logpipe.server.internal.admin.AdminServer;
import dev.logpipe.server.internal.admin.ForwarderAdminMetrics;
import dev.logpipe.server.internal.config.ConfigException;
import dev.logpipe.server.internal.config.ConfigKey;
import dev.logpipe.server.internal.config.ConfigLoader;
import dev.logpipe.server.internal.config.ForwardKafkaKey;
import dev.logpipe.server.internal.config.ForwardKafkaSection;
import dev.logpipe.server.internal.config.SettingsLayer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code logpipe forward kafka}: runs a {@link KafkaForwarder} on a journal until SIGTERM or SIGINT
 * (then it finishes or aborts its open transaction and exits 0), with optional admin HTTP for its
 * metrics and health.
 *
 * <p>Threading: confined to the thread that executes the command; the forwarder runs on its own
 * thread, the admin server on its event loop.
 */
@Command(name = "kafka",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        showDefaultValues = true,
        header = "Forward every journal record to a Kafka topic, exactly once or at least once.",
        description = {"",
                "Reads the journal read-only (beside a running 'logpipe serve', or at",
                "rest), follows it across rotations and produces each record to TOPIC:",
                "value = the record's JSON (as 'tail --format json'), key per --key,",
                "headers logpipe-node and logpipe-index.",
                "Exactly once (default): Kafka transactions carry the journal position to",
                "a compacted offsets topic; a restart resumes right after it, and a",
                "consumer reading read_committed sees every record once. At least once:",
                "idempotent producer, acks=all; duplicates possible after a crash.",
                "Retention keeps every journal segment the forwarder has not committed.",
                ""},
        footerHeading = "%n",
        footer = {"Exit status: 0 after SIGTERM or SIGINT; 1 when it cannot start or must",
                "stop (brokers unreachable, topic missing, fenced by another instance);",
                "2 for usage errors.",
                "Example:  logpipe forward kafka --bootstrap-servers kafka1:9092 \\",
                "              --topic logs --admin-port 5181"})
public final class ForwardKafkaCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML config file (as for serve): settings from its forward.kafka section, the journal"
                    + " from its data key; flags win")
    Path config;

    @Option(names = {"-d", "--data"}, paramLabel = "DIR", defaultValue = "./data", description = "journal directory")
    Path data;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "Kafka brokers to connect to (required, here or in --config)")
    String bootstrapServers;

    @Option(names = "--topic", paramLabel = "TOPIC", description = "topic to produce to (must exist; required, here or in --config)")
    String topic;

    @Option(names = "--name", paramLabel = "NAME",
            description = "the forwarder's name: its journal reader and transactional identity (default kafka-TOPIC)")
    String name;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "exactly-once",
            description = "exactly-once or at-least-once")
    String mode;

    @Option(names = "--from", paramLabel = "WHERE", defaultValue = "start",
            description = "first run only (no committed position yet): start or end of the journal")
    String from;

    @Option(names = "--key", paramLabel = "KEY", defaultValue = "service", description = "Kafka key: service, host or none")
    String key;

    @Option(names = "--node", paramLabel = "ID", description = "this node's id (header logpipe-node; default the host name)")
    String node;

    @Option(names = "--producer-config", paramLabel = "FILE",
            description = "Java properties file of extra Kafka client settings (security, tuning)")
    Path producerConfig;

    @Option(names = "--transaction-records", paramLabel = "N", defaultValue = "10000",
            description = "records per transaction, at most (exactly once); in flight, at most (at least once)")
    int transactionRecords;

    @Option(names = "--transaction-time", paramLabel = "DURATION", defaultValue = "100ms",
            description = "how long a transaction collects records before it commits (exactly once)")
    String transactionTime;

    @Option(names = "--startup-timeout", paramLabel = "DURATION", defaultValue = "30s",
            description = "how long to wait for Kafka at start")
    String startupTimeout;

    @Option(names = "--admin-port", paramLabel = "PORT",
            description = "serve /metrics, /health, /ready and /stats on this port (0: any free port; default off)")
    Integer adminPort;

    @Option(names = "--admin-bind", paramLabel = "ADDR", defaultValue = "127.0.0.1", description = "admin listen address")
    String adminBind;

    /** The loader of --config; tests give one with a fixed environment. */
    ConfigLoader loader = ConfigLoader.withSystemEnv();

    private final CountDownLatch stop = new CountDownLatch(1);

    @Override
    public Integer call() throws InterruptedException {
        applyConfig();
        KafkaForwarder.Builder b = KafkaForwarder.builder(data, bootstrapServers, topic)
                .mode(parseMode(mode)).startFrom(parseFrom(from)).key(parseKey(key))
                .maxTransactionTime(positive(Durations.parse(transactionTime, "--transaction-time"), "--transaction-time"))
                .startupTimeout(positive(Durations.parse(startupTimeout, "--startup-timeout"), "--startup-timeout"));
        if (transactionRecords < 1) {
            throw CliException.usage("--transaction-records must be at least 1, was " + transactionRecords);
        }
        b.maxTransactionRecords(transactionRecords).maxInFlightRecords(transactionRecords);
        if (name != null) {
            b.name(name);
        }
        if (node != null) {
            b.node(node);
        }
        if (producerConfig != null) {
            b.producerProperties(loadProperties(producerConfig));
        }
        if (!Files.isDirectory(data)) {
            throw CliException.usage("no journal at " + data + "; pass --data DIR (the directory of 'logpipe serve')");
        }
        installSignalHandlers();
        KafkaForwarder f;
        try {
            f = b.start();
        } catch (ForwarderException e) {
            throw CliException.failure(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage() + "; see 'logpipe forward kafka --help'", e);
        }
        AdminServer admin = null;
        try {
            if (adminPort != null) {
                admin = startAdmin(f);
            }
            printStartup(f, admin);
            while (!stop.await(100, TimeUnit.MILLISECONDS)) {
                if (f.terminated().toCompletableFuture().isDone()) {
                    break;
                }
            }
            f.close();
            ForwarderMetrics m = f.metrics();
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "stopped: %,d records forwarded, %,d transactions committed, %,d aborted; last index %d%n",
                    m.recordsForwarded(), m.transactionsCommitted(), m.transactionsAborted(), m.lastCommittedIndex());
            out.flush();
            if (m.state() == ForwarderState.FAILED) {
                throw CliException.failure(m.lastError());
            }
            return 0;
        } finally {
            if (admin != null) {
                admin.close();
            }
        }
    }

    /**
     * Fills every option not given as a flag from the --config file: its forward.kafka section, and
     * --data from its data key. Then checks that the required ones are set.
     */
    private void applyConfig() {
        if (config != null) {
            SettingsLayer file;
            try {
                file = loader.load(config);
            } catch (ConfigException e) {
                throw CliException.usage(e.getMessage());
            }
            ParseResult given = spec.commandLine().getParseResult();
            if (!given.hasMatchedOption("--data") && file.has(ConfigKey.DATA)) {
                data = (Path) file.get(ConfigKey.DATA);
            }
            ForwardKafkaSection f = file.forwardKafka();
            if (f != null) {
                for (ForwardKafkaKey k : ForwardKafkaKey.values()) {
                    if (f.has(k) && !given.hasMatchedOption(k.flag())) {
                        set(k, f.text(k));
                    }
                }
            }
        }
        String also = config != null ? " (or forward.kafka." : null;
        if (bootstrapServers == null) {
            throw CliException.usage("--bootstrap-servers HOST:PORT[,HOST:PORT...] is required"
                    + (also != null ? also + "bootstrap-servers in " + config + ")" : "")
                    + "; see 'logpipe forward kafka --help'");
        }
        if (topic == null) {
            throw CliException.usage("--topic TOPIC is required" + (also != null ? also + "topic in " + config + ")" : "")
                    + "; see 'logpipe forward kafka --help'");
        }
    }

    /** Sets the option of {@code k} from text the config loader has checked. */
    private void set(ForwardKafkaKey k, String text) {
        switch (k) {
            case BOOTSTRAP_SERVERS -> bootstrapServers = text;
            case TOPIC -> topic = text;
            case NAME -> name = text;
            case MODE -> mode = text;
            case FROM -> from = text;
            case KEY -> key = text;
            case NODE -> node = text;
            case PRODUCER_CONFIG -> producerConfig = Path.of(text);
            case TRANSACTION_RECORDS -> transactionRecords = Integer.parseInt(text.replace("_", ""));
            case TRANSACTION_TIME -> transactionTime = text;
            case STARTUP_TIMEOUT -> startupTimeout = text;
            case ADMIN_PORT -> adminPort = Integer.parseInt(text);
            case ADMIN_BIND -> adminBind = text;
            default -> throw new IllegalStateException("no option for " + k);
        }
    }

    private AdminServer startAdmin(KafkaForwarder f) throws InterruptedException {
        try {
            Map<String, String> identity = new LinkedHashMap<>();
            identity.put("name", f.name());
            identity.put("topic", topic);
            identity.put("bootstrap_servers", bootstrapServers);
            identity.put("mode", mode.toLowerCase(Locale.ROOT));
            identity.put("transactional_id", f.transactionalId());
            identity.put("data", data.toAbsolutePath().normalize().toString());
            AdminServer a = AdminServer.start(adminBind, adminPort, new ForwarderAdminMetrics(f::metrics, identity));
            a.readiness(() -> f.state() == ForwarderState.RUNNING ? "ready" : f.state().name().toLowerCase(Locale.ROOT));
            a.ready(true);
            return a;
        } catch (BindException e) {
            f.close();
            throw CliException.usage(e.getMessage(), e);
        }
    }

    private void printStartup(KafkaForwarder f, AdminServer admin) {
        PrintWriter out = spec.commandLine().getOut();
        out.println("logpipe forwarding to Kafka, pid " + ProcessHandle.current().pid());
        out.printf(Locale.ROOT, "  %-11s %s%n", "data", data.toAbsolutePath().normalize());
        out.printf(Locale.ROOT, "  %-11s %s  topic %s%n", "kafka", bootstrapServers, topic);
        out.printf(Locale.ROOT, "  %-11s %s, name %s, transactional id %s, resumes after index %d%n", "delivery",
                mode, f.name(), f.transactionalId(), f.metrics().lastCommittedIndex());
        if (admin != null) {
            out.printf(Locale.ROOT, "  %-11s http://%s:%d  (/metrics /health /ready /stats)%n", "admin", adminBind,
                    admin.address().getPort());
        }
        out.println("ready; stop with Ctrl-C or SIGTERM");
        out.flush();
    }

    private void installSignalHandlers() {
        for (String sig : new String[] {"TERM", "INT"}) {
            try {
                // our own handlers, not a shutdown hook: after a hook the JVM exits 143; here call() closes and returns 0
                sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> stop.countDown());
            } catch (IllegalArgumentException e) {
                // not available here: keep the default
            }
        }
    }

    static Map<String, String> loadProperties(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            throw CliException.usage("--producer-config: no file " + file + "; check the path");
        } catch (IOException | IllegalArgumentException e) {
            throw CliException.usage("--producer-config: cannot read " + file + ": " + e.getMessage()
                    + "; it must be a Java properties file (key=value lines)");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : p.stringPropertyNames()) {
            out.put(k, p.getProperty(k));
        }
        return out;
    }

    static DeliveryMode parseMode(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "exactly-once" -> DeliveryMode.EXACTLY_ONCE;
            case "at-least-once" -> DeliveryMode.AT_LEAST_ONCE;
            default -> throw CliException.usage("--mode: '" + s + "' is not valid; use exactly-once or at-least-once");
        };
    }

    static StartFrom parseFrom(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "start" -> StartFrom.START;
            case "end" -> StartFrom.END;
            default -> throw CliException.usage("--from: '" + s + "' is not valid; use start or end");
        };
    }

    static KeyMode parseKey(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "service" -> KeyMode.SERVICE;
            case "host" -> KeyMode.HOST;
            case "none" -> KeyMode.NONE;
            default -> throw CliException.usage("--key: '" + s + "' is not valid; use service, host or none");
        };
    }

    private static Duration positive(Duration d, String flag) {
        if (d.isZero() || d.isNegative()) {
            throw CliException.usage(flag + " must be more than 0");
        }
        return d;
    }
}
