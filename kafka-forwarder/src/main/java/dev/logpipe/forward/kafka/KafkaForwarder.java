package dev.logpipe.forward.kafka;

import dev.logpipe.forward.kafka.internal.ForwardLoop;
import dev.logpipe.forward.kafka.internal.ForwarderConfig;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Forwards a logpipe journal to a Kafka topic: reads it read-only (beside a running writer, or at
 * rest), follows it live across rotations and produces every record, in journal order, exactly once
 * ({@link DeliveryMode#EXACTLY_ONCE}, the default) or at least once.
 *
 * <p>Each Kafka record: value = the record's JSON (the shape of {@code logpipe tail --format json}),
 * key per {@link KeyMode}, headers {@code logpipe-node} (the node id) and {@code logpipe-index} (the
 * journal index, decimal ASCII), so consumers can trace a record back and drop duplicates.
 *
 * <p>Exactly once: a stable {@code transactional.id} per (node, journal, name); starting fences any
 * older instance with the same id. Records go out in transactions of up to
 * {@link Builder#maxTransactionRecords} records or {@link Builder#maxTransactionTime}, each carrying
 * the journal position reached to a compacted offsets topic (key: the transactional id). On start
 * the position is read back {@code read_committed} and forwarding resumes right after it; the
 * journal's named-reader position ({@code readers/NAME.pos}) follows each commit, keeps retention
 * from deleting what is not committed, and is the fallback when Kafka has no position for the id.
 *
 * <p>Outages never drop a record: on any Kafka error the forwarder throws its session away (the
 * open transaction is aborted, or the unacknowledged sends forgotten), backs off and resends from
 * the committed position; it reads at most one transaction (or {@link Builder#maxInFlightRecords})
 * ahead. It stops for good, {@link ForwarderState#FAILED}, only when retrying cannot help: fenced by a
 * newer instance, not authorised, a record larger than Kafka accepts.
 *
 * <p>Threading: thread-safe. The forwarder runs on its own thread, {@code logpipe-kafka-forwarder};
 * {@link #metrics()}, {@link #close()} and the rest may be called from any thread.
 *
 * <p>Example:
 * <pre>{@code
 * try (KafkaForwarder f = KafkaForwarder.builder(Path.of("data"), "kafka1:9092", "logs")
 *         .maxTransactionRecords(5_000).maxTransactionTime(Duration.ofMillis(100)).start()) {
 *     f.terminated().toCompletableFuture().join(); // runs until closed or failed
 * }
 * }</pre>
 */
public final class KafkaForwarder implements AutoCloseable {

    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");

    private final ForwardLoop loop;
    private final Thread thread;
    private final String name;
    private final String transactionalId;

    private KafkaForwarder(ForwardLoop loop, Thread thread, String name, String transactionalId) {
        this.loop = loop;
        this.thread = thread;
        this.name = name;
        this.transactionalId = transactionalId;
    }

    /**
     * A builder for a forwarder of journal {@code journal} to {@code topic} on the Kafka cluster at
     * {@code bootstrapServers} ({@code host:port[,host:port…]}).
     */
    public static Builder builder(Path journal, String bootstrapServers, String topic) {
        return new Builder(journal, bootstrapServers, topic);
    }

    /** A snapshot of the counters and gauges. */
    public ForwarderMetrics metrics() {
        return loop.metrics();
    }

    /** Where the forwarder is in its life. */
    public ForwarderState state() {
        return loop.metrics().state();
    }

    /** Its name: the journal's named reader and part of its transactional identity. */
    public String name() {
        return name;
    }

    /** Its Kafka transactional id (exactly once), which an older instance with the same id is fenced by. */
    public String transactionalId() {
        return transactionalId;
    }

    /**
     * Completes when the forwarder has stopped: normally after {@link #close()}, exceptionally with a
     * {@link ForwarderException} when it stopped for good on an error.
     */
    public CompletionStage<Void> terminated() {
        return loop.terminated().copy();
    }

    /**
     * Stops: no new transaction starts, the open one is committed (or aborted if Kafka fails), in-flight
     * records (at least once) get up to the Kafka timeout to be acknowledged, the position is saved.
     * Waits for that; a stop that takes longer than twice the Kafka timeout interrupts the forwarder's
     * thread. Idempotent. Blocks: not on an event loop.
     */
    @Override
    public void close() {
        loop.stop();
        long timeoutMs = 2 * loop.kafkaTimeout().toMillis() + 1_000;
        try {
            thread.join(timeoutMs);
            if (thread.isAlive()) {
                loop.interrupt();
                thread.join(timeoutMs);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Builds and starts a {@link KafkaForwarder}.
     *
     * <p>Threading: confined.
     */
    public static final class Builder {
        private final Path journal;
        private final String bootstrapServers;
        private final String topic;
        private String name;
        private DeliveryMode mode = DeliveryMode.EXACTLY_ONCE;
        private StartFrom startFrom = StartFrom.START;
        private KeyMode keyMode = KeyMode.SERVICE;
        private String node;
        private String transactionalId;
        private String offsetsTopic = "logpipe-forwarder-offsets";
        private final Map<String, String> producerProperties = new HashMap<>();
        private int maxTransactionRecords = 10_000;
        private Duration maxTransactionTime = Duration.ofMillis(100);
        private int maxInFlightRecords = 10_000;
        private Duration retryBackoff = Duration.ofMillis(200);
        private Duration maxRetryBackoff = Duration.ofSeconds(10);
        private Duration startupTimeout = Duration.ofSeconds(30);
        private Duration kafkaTimeout = Duration.ofSeconds(30);

        private Builder(Path journal, String bootstrapServers, String topic) {
            this.journal = Objects.requireNonNull(journal, "journal");
            this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            this.topic = Objects.requireNonNull(topic, "topic");
        }

        /** Its name: the journal's named reader and part of the transactional id. Default {@code kafka-TOPIC}. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Exactly once (default) or at least once. */
        public Builder mode(DeliveryMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Where to start the first time (no position in Kafka nor in the journal): the journal's start (default) or end. */
        public Builder startFrom(StartFrom startFrom) {
            this.startFrom = Objects.requireNonNull(startFrom, "startFrom");
            return this;
        }

        /** The Kafka key: the record's service (default), its host, or none. */
        public Builder key(KeyMode keyMode) {
            this.keyMode = Objects.requireNonNull(keyMode, "keyMode");
            return this;
        }

        /** This node's id, in the {@code logpipe-node} header and the transactional id. Default: the host name. */
        public Builder node(String node) {
            this.node = Objects.requireNonNull(node, "node");
            return this;
        }

        /** Overrides the transactional id (default {@code logpipe-NODE-NAME-HASH}, HASH from the journal's real path). */
        public Builder transactionalId(String transactionalId) {
            this.transactionalId = Objects.requireNonNull(transactionalId, "transactionalId");
            return this;
        }

        /** The compacted topic of committed positions; default {@code logpipe-forwarder-offsets}, created if missing. */
        public Builder offsetsTopic(String offsetsTopic) {
            this.offsetsTopic = Objects.requireNonNull(offsetsTopic, "offsetsTopic");
            return this;
        }

        /**
         * Extra Kafka client properties (security, tuning) for the producer, the admin client and the
         * offsets consumer. The forwarder's own settings win: {@code enable.idempotence=true},
         * {@code acks=all}, its transactional id, byte-array serializers, {@code max.block.ms} (the
         * Kafka timeout).
         */
        public Builder producerProperties(Map<String, String> properties) {
            producerProperties.putAll(properties);
            return this;
        }

        /** Records per transaction, at most (exactly once); default 10,000. */
        public Builder maxTransactionRecords(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxTransactionRecords must be >= 1, was " + n);
            }
            this.maxTransactionRecords = n;
            return this;
        }

        /** How long a transaction collects records, at most, before it commits (exactly once); default 100 ms. */
        public Builder maxTransactionTime(Duration t) {
            if (t.isNegative() || t.isZero()) {
                throw new IllegalArgumentException("maxTransactionTime must be > 0, was " + t);
            }
            this.maxTransactionTime = t;
            return this;
        }

        /** Records sent and not yet acknowledged, at most (at least once): the read-ahead bound; default 10,000. */
        public Builder maxInFlightRecords(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxInFlightRecords must be >= 1, was " + n);
            }
            this.maxInFlightRecords = n;
            return this;
        }

        /** The back-off after a failure: {@code initial}, doubling up to {@code max}; default 200 ms to 10 s. */
        public Builder retryBackoff(Duration initial, Duration max) {
            if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("retry backoff must be > 0 and max >= initial: " + initial + ", " + max);
            }
            this.retryBackoff = initial;
            this.maxRetryBackoff = max;
            return this;
        }

        /** How long {@link #start()} waits for Kafka to answer; default 30 s. */
        public Builder startupTimeout(Duration t) {
            this.startupTimeout = positive(t, "startupTimeout");
            return this;
        }

        /**
         * How long one Kafka call may block (the producer's {@code max.block.ms}: a commit, a send on
         * full buffers, fencing at start) before the session is retried; default 30 s.
         */
        public Builder kafkaTimeout(Duration t) {
            this.kafkaTimeout = positive(t, "kafkaTimeout");
            return this;
        }

        private static Duration positive(Duration t, String what) {
            if (t.isNegative() || t.isZero()) {
                throw new IllegalArgumentException(what + " must be > 0, was " + t);
            }
            return t;
        }

        /**
         * Checks Kafka (it answers, the topic exists; creates the offsets topic if missing), fences
         * older instances, finds the committed position, and starts forwarding on a new thread.
         * Blocks until then.
         *
         * @throws ForwarderException if it cannot start; the message says what happened and what to do
         * @throws IllegalArgumentException on a setting that cannot work (a bad name or topic)
         */
        public KafkaForwarder start() {
            if (!TOPIC.matcher(topic).matches()) {
                throw new IllegalArgumentException("'" + topic + "' is not a valid Kafka topic name "
                        + "(1-249 letters, digits, '.', '_', '-')");
            }
            if (!Files.isDirectory(journal)) {
                throw new ForwarderException("no journal directory at " + journal + "; check --data");
            }
            String n = name != null ? name : "kafka-" + topic;
            String nd = node != null ? node : hostName();
            String tid = transactionalId != null ? transactionalId : "logpipe-" + nd + "-" + n + "-" + journalHash(journal);
            if (maxTransactionTime.toMillis() >= 60_000 && !producerProperties.containsKey("transaction.timeout.ms")) {
                throw new IllegalArgumentException("maxTransactionTime must be below the transaction timeout (60 s)");
            }
            ForwarderConfig cfg = new ForwarderConfig(journal, bootstrapServers, topic, n, mode, startFrom, keyMode, nd,
                    tid, offsetsTopic, producerProperties, maxTransactionRecords, maxTransactionTime,
                    maxInFlightRecords, retryBackoff, maxRetryBackoff, startupTimeout, kafkaTimeout);
            // validates the name before a thread starts
            dev.logpipe.filesink.JournalReader.builder(journal).namedWithCommits(n);
            ForwardLoop loop = new ForwardLoop(cfg);
            Thread t = new Thread(loop, "logpipe-kafka-forwarder");
            t.start();
            try {
                loop.started().get();
            } catch (ExecutionException e) {
                try {
                    t.join(TimeUnit.SECONDS.toMillis(5));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
                if (e.getCause() instanceof ForwarderException fe) {
                    throw fe;
                }
                throw new ForwarderException(String.valueOf(e.getCause()), e.getCause());
            } catch (InterruptedException e) {
                loop.stop();
                loop.interrupt();
                Thread.currentThread().interrupt();
                throw new ForwarderException("interrupted while starting", e);
            }
            return new KafkaForwarder(loop, t, n, tid);
        }

        private static String hostName() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                String h = System.getenv("HOSTNAME");
                return h != null && !h.isBlank() ? h : "localhost";
            }
        }

        private static String journalHash(Path journal) {
            Path real;
            try {
                real = journal.toRealPath();
            } catch (java.io.IOException e) {
                real = journal.toAbsolutePath().normalize();
            }
            try {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(real.toString().getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(d, 0, 4);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
