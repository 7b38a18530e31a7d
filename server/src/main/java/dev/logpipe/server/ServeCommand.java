package dev.logpipe.server;

import dev.logpipe.collector.Durability;
import dev.logpipe.collector.ListenerConfig;
import dev.logpipe.collector.ListenerProtocol;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.PipelineStats;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.otlp.OtlpReceiver;
import dev.logpipe.server.internal.admin.AdminServer;
import dev.logpipe.server.internal.admin.PipelineMetrics;
import dev.logpipe.server.internal.config.ConfigException;
import dev.logpipe.server.internal.config.ConfigKey;
import dev.logpipe.server.internal.config.ConfigLoader;
import dev.logpipe.server.internal.config.ServeSettings;
import dev.logpipe.server.internal.config.SettingsLayer;
import dev.logpipe.server.internal.config.Units;
import dev.logpipe.collector.Tls;
import dev.logpipe.filesink.JournalLockedException;
import dev.logpipe.filesink.JournalSettings;
import dev.logpipe.filesink.RollCycle;
import dev.logpipe.filesink.SinkListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import java.util.concurrent.Callable;

/**
 * {@code logpipe serve}: runs the pipeline in the foreground: the TCP listener, the journal and the
 * admin HTTP server. Prints a startup block, and on SIGTERM or SIGINT shuts down gracefully
 * (stop accepting, drain connections and the channel, final sync) and prints a summary; exits 0
 * when nothing accepted was lost.
 *
 * <p>Settings: defaults, overridden by {@code --config FILE}, overridden by flags. Every flag is
 * also a config key (see {@link ConfigKey}).
 *
 * <p>Threading: {@link #call()} runs on the main thread and waits there; the signal handlers only
 * wake it. A second signal while draining exits at once (status 130).
 */
@Command(name = "serve",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Run the pipeline: accept records over TCP and store them in the journal.",
        description = {"",
                "Runs in the foreground. Ctrl-C or SIGTERM stops it gracefully: it stops",
                "accepting, stores what open connections already sent, syncs the journal,",
                "prints a summary and exits 0 (a second Ctrl-C exits at once).",
                "Settings: the defaults, then --config FILE, then flags (flags win).",
                ""},
        footerHeading = "%nExamples:%n",
        footer = {"  logpipe serve                                    127.0.0.1:5140 into ./data",
                "  logpipe serve --bind 0.0.0.0 --retention 7d,10GB --sync-interval batch",
                "  logpipe serve --config /etc/logpipe.yaml --port 6000"})
public final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML config file; its keys are these flags' long names (see 'logpipe validate')")
    Path config;

    @Option(names = "--bind", paramLabel = "ADDR", description = "listener address (default: 127.0.0.1; 0.0.0.0 = all interfaces)")
    String bind;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "TCP ingest port (default: 5140; 0 = any free port)")
    String port;

    @Option(names = {"-d", "--data"}, paramLabel = "DIR", description = "journal directory (default: ./data)")
    String data;

    @Option(names = "--admin-bind", paramLabel = "ADDR", description = "admin HTTP address (default: 127.0.0.1)")
    String adminBind;

    @Option(names = "--admin-port", paramLabel = "PORT",
            description = "admin HTTP port for /metrics, /health, /ready, /stats (default: 5180; 0 = any free port)")
    String adminPort;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "wire format: auto (detect per line), json, syslog or text (default: auto)")
    String format;

    @Option(names = "--sync-interval", paramLabel = "WHEN",
            description = "force the journal to disk every WHEN (100ms, 1s; 1ms or more), after every batch (batch), or never (default: 100ms)")
    String syncInterval;

    @Option(names = "--roll-cycle", paramLabel = "CYCLE", description = "segment length: minutely, hourly or daily (default: hourly)")
    String rollCycle;

    @Option(names = "--retention", paramLabel = "LIMIT", split = ",",
            description = "delete closed segments older than an age (7d) and/or beyond a total size (10GB); "
                    + "repeat or comma-separate for both (default: keep forever)")
    List<String> retention;

    @Option(names = "--max-connections", paramLabel = "N", description = "most open connections; more are refused (default: 1024)")
    String maxConnections;

    @Option(names = "--max-frame", paramLabel = "SIZE", description = "largest frame accepted (default: 1MiB)")
    String maxFrame;

    @Option(names = "--oversize", paramLabel = "POLICY",
            description = "frame over --max-frame: truncate (cut, flag, keep) or close the connection (default: truncate)")
    String oversize;

    @Option(names = "--malformed", paramLabel = "POLICY",
            description = "frame that does not parse: store-raw (store it flagged) or drop (default: store-raw)")
    String malformed;

    @Option(names = "--idle-timeout", paramLabel = "DURATION",
            description = "close connections silent this long (1s or more); 0 = never (default: 5m)")
    String idleTimeout;

    @Option(names = "--drain-timeout", paramLabel = "DURATION",
            description = "on shutdown, longest wait for connections and the journal to drain (default: 30s)")
    String drainTimeout;

    @Option(names = "--channel-records", paramLabel = "N",
            description = "ingest channel capacity in records; backpressure beyond it (default: 32768)")
    String channelRecords;

    @Option(names = "--channel-bytes", paramLabel = "SIZE",
            description = "ingest channel capacity in bytes; backpressure beyond it (default: 16MiB)")
    String channelBytes;

    @Option(names = "--min-free", paramLabel = "SIZE",
            description = "free space to keep on the journal's file system; with less the journal pauses "
                    + "(senders slowed, /ready 503) until space returns; less than the file system's size (default: 16MiB)")
    String minFree;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain; enables TLS (with --tls-key) on every listener: main, RELP, Fluent, OTLP")
    String tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key (PKCS#8) for --tls-cert")
    String tlsKey;

    @Option(names = "--tls-client-ca", paramLabel = "FILE", description = "PEM CA; clients must present a certificate it signed")
    String tlsClientCa;

    @Option(names = "--relp-port", paramLabel = "PORT",
            description = "also listen for RELP (rsyslog omrelp), acknowledging each message once stored; TLS as the main listener (default: off; 2514 is usual)")
    String relpPort;

    @Option(names = "--fluent-port", paramLabel = "PORT",
            description = "also listen for the Fluent Forward protocol (Fluent Bit, fluentd, Docker), acknowledging chunks once stored; TLS as the main listener (default: off; 24224 is usual)")
    String fluentPort;

    @Option(names = "--fluent-shared-key-file", paramLabel = "FILE",
            description = "ask Fluent Forward clients for the shared-key handshake (fluentd's and Fluent Bit's shared_key) with the key in FILE; others are refused (default: off)")
    String fluentSharedKeyFile;

    @Option(names = "--fluent-users-file", paramLabel = "FILE",
            description = "with --fluent-shared-key-file, also ask Fluent Forward clients for a user: one of the name:password lines in FILE (fluentd's user_auth; Fluent Bit's Username and Password) (default: off)")
    String fluentUsersFile;

    @Option(names = "--otlp-port", paramLabel = "PORT",
            description = "also listen for OTLP/HTTP logs (POST /v1/logs; OpenTelemetry SDKs, the Collector, Vector, Fluent Bit), answering once stored; TLS as the main listener (default: off; 4318 is usual)")
    String otlpPort;

    @Option(names = "--ack-level", paramLabel = "LEVEL",
            description = "when RELP, Fluent and OTLP acknowledge: durable (synced to disk) or written (appended; survives a crash of logpipe, not of the machine) (default: durable)")
    String ackLevel;

    @Option(names = "--warmup", paramLabel = "DURATION",
            description = "before listening, warm up the JIT for up to this long with synthetic records on a throwaway journal in DATA/warmup.tmp (deleted afterwards), so the first records meet compiled code; 0 = off (default: 2s)")
    String warmup;

    /** The loader; tests give one with a fixed environment. */
    ConfigLoader loader = ConfigLoader.withSystemEnv();

    /** Whether to install SIGTERM/SIGINT handlers; tests that run serve in-process turn it off. */
    boolean handleSignals = true;

    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicReference<String> stopReason = new AtomicReference<>();

    /** Asks a running serve to shut down gracefully, as SIGTERM does. */
    void requestStop(String reason) {
        if (stopReason.compareAndSet(null, reason)) {
            stop.countDown();
        } else if (handleSignals) {
            // a second Ctrl-C while draining: the user wants out now
            spec.commandLine().getErr().println("logpipe serve: " + reason + " again: exiting now; records not yet written are lost");
            spec.commandLine().getErr().flush();
            Runtime.getRuntime().halt(130);
        }
    }

    /** The settings this invocation resolves to (defaults, config file, flags); usage errors as exceptions. */
    ServeSettings settings() {
        SettingsLayer file = null;
        if (config != null) {
            try {
                file = loader.load(config);
            } catch (ConfigException e) {
                throw CliException.usage(e.getMessage());
            }
        }
        SettingsLayer flags = new SettingsLayer();
        Map<ConfigKey, String> given = new LinkedHashMap<>();
        given.put(ConfigKey.BIND, bind);
        given.put(ConfigKey.PORT, port);
        given.put(ConfigKey.DATA, data);
        given.put(ConfigKey.ADMIN_BIND, adminBind);
        given.put(ConfigKey.ADMIN_PORT, adminPort);
        given.put(ConfigKey.FORMAT, format);
        given.put(ConfigKey.SYNC_INTERVAL, syncInterval);
        given.put(ConfigKey.ROLL_CYCLE, rollCycle);
        given.put(ConfigKey.RETENTION, retention == null ? null : String.join(",", retention));
        given.put(ConfigKey.MAX_CONNECTIONS, maxConnections);
        given.put(ConfigKey.MAX_FRAME, maxFrame);
        given.put(ConfigKey.OVERSIZE, oversize);
        given.put(ConfigKey.MALFORMED, malformed);
        given.put(ConfigKey.IDLE_TIMEOUT, idleTimeout);
        given.put(ConfigKey.DRAIN_TIMEOUT, drainTimeout);
        given.put(ConfigKey.CHANNEL_RECORDS, channelRecords);
        given.put(ConfigKey.CHANNEL_BYTES, channelBytes);
        given.put(ConfigKey.MIN_FREE, minFree);
        given.put(ConfigKey.TLS_CERT, tlsCert);
        given.put(ConfigKey.TLS_KEY, tlsKey);
        given.put(ConfigKey.TLS_CLIENT_CA, tlsClientCa);
        given.put(ConfigKey.RELP_PORT, relpPort);
        given.put(ConfigKey.FLUENT_PORT, fluentPort);
        given.put(ConfigKey.FLUENT_SHARED_KEY_FILE, fluentSharedKeyFile);
        given.put(ConfigKey.FLUENT_USERS_FILE, fluentUsersFile);
        given.put(ConfigKey.OTLP_PORT, otlpPort);
        given.put(ConfigKey.ACK_LEVEL, ackLevel);
        given.put(ConfigKey.WARMUP, warmup);
        for (Map.Entry<ConfigKey, String> e : given.entrySet()) {
            if (e.getValue() != null) { // options have no picocli default: non-null means given
                try {
                    flags.set(e.getKey(), e.getValue(), e.getKey().flag());
                } catch (IllegalArgumentException ex) {
                    throw new ParameterException(spec.commandLine(), e.getKey().flag() + ": " + ex.getMessage());
                }
            }
        }
        try {
            return ServeSettings.resolve(config, file, flags);
        } catch (ConfigException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        ServeSettings s = settings();
        preflight(s);
        PrintWriter out = spec.commandLine().getOut();
        long startNanos = System.nanoTime();

        AtomicReference<LogPipeline> pipelineRef = new AtomicReference<>();
        PipelineMetrics metrics = new PipelineMetrics(() -> pipelineRef.get() == null ? null : pipelineRef.get().stats(),
                s.channelRecords());
        if (s.relpPort() != null || s.fluentPort() != null || s.otlpPort() != null) {
            metrics.acks(() -> pipelineRef.get() == null ? null : pipelineRef.get().ackStats());
        }
        OtlpReceiver otlp = s.otlpPort() == null ? null : otlpReceiver(s);
        if (otlp != null) {
            metrics.otlp(otlp::stats);
        }
        AdminServer admin;
        try {
            admin = AdminServer.start(s.adminBind(), s.adminPort(), metrics);
        } catch (BindException e) {
            throw CliException.usage(e.getMessage());
        }
        LogPipeline pipeline;
        try {
            LogPipeline.Builder b = build(s, metrics);
            if (otlp != null) {
                b.receiver(otlp);
            }
            pipeline = b.start();
        } catch (JournalLockedException e) {
            admin.close();
            java.util.regex.Matcher pid = java.util.regex.Pattern.compile("pid (\\d+)").matcher(String.valueOf(e.getMessage()));
            throw CliException.usage("data directory " + s.data() + " is locked by another logpipe"
                    + (pid.find() ? " (pid " + pid.group(1) + ")" : "") + "; stop it or pass --data", e);
        } catch (IOException | RuntimeException e) {
            admin.close();
            if (portInUse(e)) {
                String msg = String.valueOf(e.getMessage());
                if (s.relpPort() != null && s.relpPort() != 0 && msg.contains(":" + s.relpPort() + ":")) {
                    throw CliException.usage("RELP port " + s.relpPort() + " on " + s.bind() + " is in use; pass --relp-port", e);
                }
                if (s.fluentPort() != null && s.fluentPort() != 0 && msg.contains(":" + s.fluentPort() + ":")) {
                    throw CliException.usage("Fluent port " + s.fluentPort() + " on " + s.bind() + " is in use; pass --fluent-port", e);
                }
                if (s.otlpPort() != null && s.otlpPort() != 0 && msg.contains(":" + s.otlpPort() + ":")) {
                    throw CliException.usage("OTLP port " + s.otlpPort() + " on " + s.bind() + " is in use; pass --otlp-port", e);
                }
                throw CliException.usage("port " + s.port() + " on " + s.bind() + " is in use; pass --port", e);
            }
            throw CliException.usage("cannot start: " + e.getMessage(), e);
        }
        pipelineRef.set(pipeline);
        if (handleSignals) {
            installSignalHandlers();
        }
        admin.readiness(pipeline::readiness); // 503 while the journal is paused for lack of space or failed
        admin.ready(true);
        printStartup(out, s, pipeline, admin, otlp);

        stop.await();

        admin.ready(false, "draining");
        out.println();
        out.println("logpipe: " + stopReason.get() + ": shutting down; storing what connections sent (up to "
                + s.written(ConfigKey.DRAIN_TIMEOUT) + ")...");
        out.flush();
        PipelineStats end = pipeline.shutdown();
        admin.close();
        printSummary(out, end, Duration.ofNanos(System.nanoTime() - startNanos));
        if (end.lostRecords() > 0) {
            throw CliException.failure(end.lostRecords() + " accepted records could not be stored"
                    + breakdown(end.lostByReason()) + "; see the log above; for drain_timeout raise"
                    + " --drain-timeout or free space on the journal's file system, for journal_failure check the disk");
        }
        return 0;
    }

    /**
     * Refuses settings that cannot work before anything is created (sockets, the journal
     * directory, log lines about a writer): addresses that do not resolve, the same port for
     * ingest and admin, a TLS key that does not belong to its certificate, a listen port in use.
     */
    static void preflight(ServeSettings s) {
        InetAddress bindAddress = checkSettings(s);
        probePort(s, bindAddress);
    }

    /**
     * The checks of {@link #preflight} that need nothing but the settings and this machine (no port
     * probe: a server may be running on them while its config is validated); returns the bind address.
     */
    static InetAddress checkSettings(ServeSettings s) {
        checkHeap(s, Runtime.getRuntime().maxMemory());
        InetAddress bindAddress = resolve(s.bind(), "--bind");
        InetAddress adminAddress = resolve(s.adminBind(), "--admin-bind");
        if (s.port() != 0 && s.port() == s.adminPort() && (bindAddress.equals(adminAddress)
                || bindAddress.isAnyLocalAddress() || adminAddress.isAnyLocalAddress())) {
            throw CliException.usage("--port and --admin-port are both " + s.port() + " on " + s.bind()
                    + (s.bind().equals(s.adminBind()) ? "" : " and " + s.adminBind())
                    + "; one port cannot serve both: give them different ports");
        }
        checkMinFree(s);
        checkPortsDiffer(s);
        if (s.tls()) {
            try {
                Tls.checkServerFiles(s.tlsCert(), s.tlsKey(), s.tlsClientCa());
            } catch (IOException e) {
                throw CliException.usage(e.getMessage(), e);
            }
        }
        return bindAddress;
    }

    private static void probePort(ServeSettings s, InetAddress bindAddress) {
        if (s.port() != 0) {
            // A probe of the listen port: the real bind comes after the journal is opened, and a
            // taken port should not leave a new journal directory and writer log lines behind.
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(new InetSocketAddress(bindAddress, s.port()));
            } catch (BindException e) {
                throw String.valueOf(e.getMessage()).contains("in use")
                        ? CliException.usage("port " + s.port() + " on " + s.bind() + " is in use; pass --port", e)
                        : CliException.usage("cannot listen on " + ServeSettings.hostPort(s.bind(), s.port()) + ": "
                                + e.getMessage() + "; --bind must be an address of this machine (127.0.0.1, 0.0.0.0, ...)", e);
            } catch (IOException e) {
                throw CliException.usage("cannot listen on " + ServeSettings.hostPort(s.bind(), s.port()) + ": " + e
                        + "; check --bind and --port", e);
            }
        }
    }

    private static InetAddress resolve(String host, String flag) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw CliException.usage(flag + " " + host + " is not an address or a host name that resolves;"
                    + " use 127.0.0.1, 0.0.0.0 (all interfaces) or an address of this machine");
        }
    }

    /** Whether starting failed because the listen port is taken (Netty's native transport says so only in text). */
    private static boolean portInUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }

    private LogPipeline.Builder build(ServeSettings s, PipelineMetrics metrics) {
        ListenerConfig.Builder l = ListenerConfig.builder()
                .bindAddress(s.bind())
                .port(s.port())
                .wireFormat(WireFormat.valueOf(s.format().toUpperCase(Locale.ROOT)))
                .maxFrameBytes((int) s.maxFrameBytes())
                .oversizePolicy(s.oversize().equals("close") ? OversizePolicy.CLOSE : OversizePolicy.TRUNCATE)
                .malformedPolicy(s.malformed().equals("drop") ? MalformedPolicy.DROP : MalformedPolicy.STORE_RAW)
                .maxConnections(s.maxConnections())
                .idleTimeout(s.idleTimeout());
        withTls(l, s);
        Durability ack = s.ackLevel().equals("written") ? Durability.WRITTEN : Durability.DURABLE;
        List<ListenerConfig> acked = new java.util.ArrayList<>();
        if (s.relpPort() != null) {
            acked.add(ackedListener(s, s.relpPort(), ListenerProtocol.RELP, ack));
        }
        if (s.fluentPort() != null) {
            acked.add(ackedListener(s, s.fluentPort(), ListenerProtocol.FLUENT, ack));
        }
        LogPipeline.Builder b = LogPipeline.builder(s.data())
                .channelCapacityRecords(s.channelRecords())
                .channelCapacityBytes(s.channelBytes())
                .journal(journalSettings(s))
                .drainTimeout(s.drainTimeout())
                .listener(l.build())
                .sinkListener(new MetricsSinkListener(metrics))
                .warmup(s.warmup());
        acked.forEach(b::listener);
        return b;
    }

    /**
     * The journal's settings from the configuration: sync, roll cycle, retention, free-space reserve,
     * and the largest record, from max-frame ({@link #maxRecordBytesFor}).
     */
    static JournalSettings journalSettings(ServeSettings s) {
        JournalSettings.Builder j = JournalSettings.builder()
                .syncPolicy(s.syncInterval())
                .rollCycle(RollCycle.valueOf(s.rollCycle().toUpperCase(Locale.ROOT)))
                .minFreeBytes(s.minFreeBytes())
                .maxRecordBytes(maxRecordBytesFor(s.maxFrameBytes()));
        if (s.retention().maxAge() != null) {
            j.retentionMaxAge(s.retention().maxAge());
        }
        if (s.retention().maxBytes() != null) {
            j.retentionMaxBytes(s.retention().maxBytes());
        }
        return j.build();
    }

    /**
     * The heap {@code serve} needs at least: a frame being decoded takes up to eight times its size
     * (the bytes, their text, the parser's buffer, the record's strings, the writer's encoding), the
     * channel when full about twice its bytes, and the rest of the server 32 MiB (it measured 10-15).
     * Below it a frame near max-frame could run the JVM out of memory in the middle of decoding it.
     * Compared with {@link Runtime#maxMemory()}, which leaves out one survivor space: 80 MiB under the
     * launcher's {@code -Xmx96m -Xmn48m -XX:SurvivorRatio=1}, against 72 MiB needed by the defaults.
     */
    static long heapNeeded(long maxFrameBytes, long channelBytes) {
        return 8 * maxFrameBytes + 2 * channelBytes + (32L << 20);
    }

    /**
     * Refuses two listeners of this server on one port (the ingest listeners all bind --bind): the second
     * bind used to fail as "in use", which sent users looking for another process.
     */
    static void checkPortsDiffer(ServeSettings s) {
        String[] names = {"--port", "--relp-port", "--fluent-port", "--otlp-port"};
        Integer[] ports = {s.port(), s.relpPort(), s.fluentPort(), s.otlpPort()};
        for (int i = 0; i < ports.length; i++) {
            for (int j = i + 1; j < ports.length; j++) {
                if (ports[i] != null && ports[j] != null && ports[i] != 0 && ports[i].equals(ports[j])) {
                    throw CliException.usage(names[i] + " and " + names[j] + " are both " + ports[i] + " on " + s.bind()
                            + "; each listener needs its own port: give them different ports");
                }
            }
        }
    }

    /**
     * Refuses a --min-free the journal's file system could never leave free: the journal would pause at
     * once and for good (senders held back, records accepted over plain TCP lost at shutdown), while
     * serve said ready.
     */
    static void checkMinFree(ServeSettings s) {
        Path at = s.data().toAbsolutePath();
        while (at != null && !Files.exists(at)) {
            at = at.getParent(); // the directory is created later: ask the file system it will be on
        }
        if (at == null) {
            return;
        }
        long total;
        try {
            total = Files.getFileStore(at).getTotalSpace();
        } catch (IOException e) {
            return; // the journal's own start reports an unusable directory
        }
        if (total > 0 && s.minFreeBytes() >= total) {
            throw CliException.usage(String.format(Locale.ROOT, "min-free %s is not less than the whole file system of"
                    + " %s (%s): the journal could never store a record; give a smaller --min-free",
                    s.written(ConfigKey.MIN_FREE), s.data(), Units.formatBytes(total)));
        }
    }

    /** Refuses to start when the JVM's heap cannot hold what max-frame and channel-bytes allow. */
    static void checkHeap(ServeSettings s, long maxHeapBytes) {
        long need = heapNeeded(s.maxFrameBytes(), s.channelBytes());
        if (maxHeapBytes < need) {
            long mib = (need + (1 << 20) - 1) >> 20;
            throw CliException.usage(String.format(Locale.ROOT, "max-frame %s and channel-bytes %s need a heap of at"
                    + " least %d MiB (a frame being decoded takes up to 8 times its size, a full channel about twice"
                    + " its bytes); this JVM has %d MiB: run with JAVA_OPTS=-Xmx%dm, or lower them",
                    s.written(ConfigKey.MAX_FRAME), s.written(ConfigKey.CHANNEL_BYTES), mib, maxHeapBytes >> 20,
                    Math.max(mib + 32, 128)));
        }
    }

    /**
     * The journal's largest record for frames of up to {@code maxFrameBytes}: three times the frame
     * (a frame of invalid UTF-8 is stored with U+FFFD, three bytes, for each bad byte) and 64 KiB for
     * the record's other parts, at most the journal's limit: 3 MiB and 64 KiB for the default 1 MiB
     * frames, which the journal maps in 16 MiB pieces. A record over it (possible only past the limit,
     * or for Fluent values that expand further as JSON) is refused alone.
     */
    static int maxRecordBytesFor(long maxFrameBytes) {
        return (int) Math.min(JournalSettings.MAX_MAX_RECORD_BYTES, 3 * maxFrameBytes + (64L << 10));
    }

    /**
     * The OTLP/HTTP receiver: on the main listener's address, with its connection limit, idle timeout
     * and TLS, answering at the ack level.
     */
    private static OtlpReceiver otlpReceiver(ServeSettings s) {
        OtlpReceiver.Builder b = OtlpReceiver.builder()
                .bindAddress(s.bind())
                .port(s.otlpPort())
                .maxConnections(s.maxConnections())
                .idleTimeout(s.idleTimeout())
                .ackLevel(s.ackLevel().equals("written") ? Durability.WRITTEN : Durability.DURABLE);
        if (s.tls()) {
            b.tls(s.tlsCert(), s.tlsKey());
            if (s.tlsClientCa() != null) {
                b.tlsTrustedClientCerts(s.tlsClientCa());
            }
        }
        return b.build();
    }

    /** The TLS settings, when given, on {@code b}: every TCP listener of serve takes the same. */
    private static ListenerConfig.Builder withTls(ListenerConfig.Builder b, ServeSettings s) {
        if (s.tls()) {
            b.tls(s.tlsCert(), s.tlsKey());
            if (s.tlsClientCa() != null) {
                b.tlsTrustedClientCerts(s.tlsClientCa());
            }
        }
        return b;
    }

    /** The Fluent shared key in {@code file} (checked when the settings were resolved; read again here). */
    static String sharedKey(Path file) {
        try {
            return ServeSettings.readSharedKey(file);
        } catch (ConfigException e) {
            throw CliException.usage(e.getMessage(), e);
        }
    }

    /**
     * An acknowledged listener (RELP, Fluent) with the main listener's address, limits and TLS (TLS
     * from the first byte, as rsyslog's omrelp with {@code tls="on"} and Fluent Bit's forward output
     * with {@code tls on} connect).
     */
    private static ListenerConfig ackedListener(ServeSettings s, int port, ListenerProtocol protocol, Durability ack) {
        ListenerConfig.Builder b = ListenerConfig.builder();
        if (protocol == ListenerProtocol.FLUENT && s.fluentSharedKeyFile() != null) {
            b.fluentSharedKey(sharedKey(s.fluentSharedKeyFile()));
            if (s.fluentUsersFile() != null) {
                try {
                    b.fluentUsers(ServeSettings.readUsers(s.fluentUsersFile()));
                } catch (ConfigException e) {
                    throw CliException.usage(e.getMessage(), e);
                }
            }
        }
        return withTls(b
                .bindAddress(s.bind())
                .port(port)
                .protocol(protocol)
                .ackLevel(ack)
                .maxFrameBytes((int) s.maxFrameBytes())
                .malformedPolicy(s.malformed().equals("drop") ? MalformedPolicy.DROP : MalformedPolicy.STORE_RAW)
                .maxConnections(s.maxConnections())
                .idleTimeout(s.idleTimeout()), s)
                .build();
    }

    private void installSignalHandlers() {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                // Our own handlers instead of a shutdown hook: with a hook the JVM exits 143 after
                // SIGTERM however cleanly we drained; here main finishes the drain and exits 0.
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> requestStop("SIG" + sig.getName()));
            } catch (IllegalArgumentException e) {
                // the signal is not available on this platform (or the JVM reserved it): keep the default
            }
        }
    }

    private static void printStartup(PrintWriter out, ServeSettings s, LogPipeline p, AdminServer admin, OtlpReceiver otlp) {
        String version = ServeCommand.class.getPackage().getImplementationVersion();
        out.println("logpipe " + (version == null ? "(development build)" : version) + " serving, pid "
                + ProcessHandle.current().pid());
        for (String line : s.describe()) {
            if (line.startsWith("listen ")) {
                line = String.format(Locale.ROOT, "%-11s %s://%s  (format %s, transport %s)", "listen",
                        s.tls() ? "tls" : "tcp", ServeSettings.hostPort(s.bind(), p.tcpPort()), s.format(), p.transportName());
            } else if (line.startsWith("roll cycle ")) {
                // an existing journal keeps the cycle it was created with, whatever was asked
                line = String.format(Locale.ROOT, "%-11s %s", "roll cycle",
                        p.journalRollCycle().name().toLowerCase(Locale.ROOT));
            } else if (line.startsWith("admin ")) {
                line = String.format(Locale.ROOT, "%-11s http://%s  (/metrics /health /ready /stats)", "admin",
                        ServeSettings.hostPort(s.adminBind(), admin.address().getPort()));
            } else if (line.startsWith("relp ")) {
                line = String.format(Locale.ROOT, "%-11s %s://%s  (RELP, ack %s)", "relp", s.tls() ? "tls" : "tcp",
                        ServeSettings.hostPort(s.bind(), p.listenerAddresses().get(1).getPort()), s.ackLevel());
            } else if (line.startsWith("fluent ")) {
                line = String.format(Locale.ROOT, "%-11s %s://%s  (Fluent Forward, ack %s%s)", "fluent",
                        s.tls() ? "tls" : "tcp", ServeSettings.hostPort(s.bind(), p.listenerAddresses().get(s.relpPort() == null ? 1 : 2).getPort()),
                        s.ackLevel(), s.fluentSharedKeyFile() == null ? "" : s.fluentUsersFile() == null ? ", shared key"
                                : ", shared key and users");
            } else if (line.startsWith("otlp ") && otlp != null) {
                line = String.format(Locale.ROOT, "%-11s %s://%s/v1/logs  (OTLP/HTTP, protobuf or JSON, ack %s)", "otlp",
                        s.tls() ? "https" : "http", ServeSettings.hostPort(s.bind(), otlp.localAddress().getPort()),
                        s.ackLevel());
            } else if (line.startsWith("data ")) {
                line = String.format(Locale.ROOT, "%-11s %s", "data", s.data().toAbsolutePath().normalize());
            }
            out.println("  " + line);
        }
        out.println("ready; stop with Ctrl-C or SIGTERM");
        out.flush();
    }

    private static void printSummary(PrintWriter out, PipelineStats e, Duration uptime) {
        out.println("logpipe: stopped after " + Units.formatDuration(Duration.ofSeconds(Math.max(0, uptime.toSeconds()))));
        out.printf(Locale.ROOT, "  received  %s%s%n", plural(e.receivedTotal(), "record"), breakdown(PipelineMetrics.byFormat(e.receivedRecords())));
        out.printf(Locale.ROOT, "  stored    %s (%s), %,d durable%n", plural(e.writtenRecords(), "record"),
                Units.formatBytes(e.writtenBytes()), e.durableRecords());
        out.printf(Locale.ROOT, "  rejected  %s%s%n", plural(e.rejectedTotal(), "frame"), breakdown(e.rejected()));
        if (e.lostRecords() > 0) {
            out.printf(Locale.ROOT, "  LOST      %,d records accepted but not stored%s%n", e.lostRecords(),
                    breakdown(e.lostByReason()));
        }
        if (e.journalPauses() > 0) {
            out.printf(Locale.ROOT, "  journal   paused %,d time%s for lack of space, %s in all%n", e.journalPauses(),
                    e.journalPauses() == 1 ? "" : "s",
                    StatsCommand.pausedFor(e.journalPausedNanos() / 1e9));
        }
        out.printf(Locale.ROOT, "  connections %,d accepted, %,d refused over the limit, %,d closed idle%n",
                e.acceptedConnections(), e.refusedConnections(), e.idleClosedConnections());
        out.flush();
    }

    private static String plural(long n, String noun) {
        return String.format(Locale.ROOT, "%,d %s%s", n, noun, n == 1 ? "" : "s");
    }

    /** {@code " (a 1, b 2)"} for the non-zero counts, by key label ({@code toString()}), or "" if none. */
    private static String breakdown(Map<?, Long> m) {
        if (m.values().stream().allMatch(v -> v == 0)) {
            return "";
        }
        StringBuilder sb = new StringBuilder(" (");
        m.entrySet().stream().filter(en -> en.getValue() != 0)
                .sorted(java.util.Comparator.comparing(en -> en.getKey().toString())).forEach(en ->
                sb.append(sb.length() > 2 ? ", " : "").append(en.getKey()).append(' ')
                        .append(String.format(Locale.ROOT, "%,d", en.getValue())));
        return sb.append(')').toString();
    }

    /**
     * Forwards the journal writer's events to the metrics' histograms; every count the metrics show
     * is read from the pipeline's stats instead.
     */
    private static final class MetricsSinkListener implements SinkListener {
        private final PipelineMetrics metrics;

        MetricsSinkListener(PipelineMetrics metrics) {
            this.metrics = metrics;
        }

        @Override
        public void onBatch(int records, long bytes) {
            metrics.onBatch(records, bytes);
        }

        @Override
        public void onSync(long durationNanos, long durableIndex) {
            metrics.onSync(durationNanos);
        }

        @Override
        public void onDurable(long records, long oldestReceiveTimeNanos, long nowNanos) {
            metrics.onDurable(oldestReceiveTimeNanos, nowNanos);
        }
    }
}
