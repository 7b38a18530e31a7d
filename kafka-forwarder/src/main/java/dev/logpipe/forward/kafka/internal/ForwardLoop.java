package dev.logpipe.forward.kafka.internal;

import dev.logpipe.filesink.DamagedPositionException;
import dev.logpipe.filesink.JournalDamageException;
import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.JournalRepair;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.forward.kafka.DeliveryMode;
import dev.logpipe.forward.kafka.ForwarderException;
import dev.logpipe.forward.kafka.ForwarderMetrics;
import dev.logpipe.forward.kafka.ForwarderState;
import dev.logpipe.forward.kafka.StartFrom;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The forwarder's loop, on its own thread ({@code logpipe-kafka-forwarder}): start-up checks, then
 * sessions of one producer and one journal reader each. A session that fails (the brokers are
 * unreachable, a transaction or a send failed) is thrown away whole: the producer is closed, the
 * reader closed, and after a back-off a new session starts from the committed position. So the
 * reader never runs ahead of what Kafka has taken by more than one transaction (exactly once) or
 * {@code maxInFlightRecords} (at least once), nothing is skipped, and a timeout only causes a resend.
 *
 * <p>Exactly once: {@code initTransactions} fences an older instance with the same transactional id
 * and completes or aborts its open transaction; then the committed position is read back from the
 * offsets topic, {@code read_committed}; the reader starts there. Each transaction carries up to
 * {@code maxTransactionRecords} records read within {@code maxTransactionTime} and, last, the
 * position reached; after the commit the same position is saved as the journal's named-reader
 * position (committed-only), which keeps retention from deleting what is not committed.
 *
 * <p>At least once: an idempotent producer with {@code acks=all}; the position advances over the
 * unbroken prefix of acknowledged records. A failed send ends the session; the next one resends
 * from the position (the records acknowledged after the gap are sent again: duplicates).
 *
 * <p>Threading: {@link #run} on the loop's thread; {@link #metrics}, {@link #stop} and the futures
 * from any thread. Counters have one writer (the loop) and are published through volatile fields.
 */
public final class ForwardLoop implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(ForwardLoop.class);
    private static final long NONE = Long.MIN_VALUE;
    /** How long the loop waits for a record before it looks at its stop flag and its lag again. */
    private static final Duration IDLE_POLL = Duration.ofMillis(100);
    private static final long LAG_INTERVAL_NANOS = 250_000_000L;
    private static final long FORCE_INTERVAL_NANOS = 1_000_000_000L;

    private final ForwarderConfig cfg;
    private final RecordMapper mapper;
    private final OffsetStore offsets;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    private volatile boolean stopping;
    private volatile Thread thread;

    // published state, one writer (the loop)
    private volatile ForwarderState state = ForwarderState.STARTING;
    private volatile long recordsForwarded;
    private volatile long transactionsCommitted;
    private volatile long transactionsAborted;
    private volatile long recordsResent;
    private volatile long retries;
    private volatile long committed = -1;
    private volatile long lagRecords = -1;
    /** Receive time (epoch nanos) of the oldest record read and not committed, NONE if there is none. */
    private volatile long oldestPendingNanos = NONE;
    private volatile String lastError;

    // the session, confined to the loop
    private KafkaProducer<byte[], byte[]> producer;
    /** The journal's repair generation, read at each session's start: positions are committed with it. */
    private int repairs;
    private JournalReader reader;
    private int offsetPartitions = 1;
    private long nextLagCheck;
    private long nextForce;
    /** Records sent in the open transaction (exactly once). */
    private int inTransaction = -1;
    /**
     * The send outcomes of the current session. A new session gets a new one, so callbacks of a
     * closed producer (it fails what it had not sent, possibly after close returned) cannot touch it.
     */
    private Session session = new Session();
    /** At least once: records sent and not yet part of the acknowledged prefix, in index order. */
    private AckedPrefix inFlight = new AckedPrefix(-1);

    public ForwardLoop(ForwarderConfig cfg) {
        this.cfg = cfg;
        this.mapper = new RecordMapper(cfg.topic(), cfg.keyMode(), cfg.node());
        this.offsets = new OffsetStore(cfg.offsetsTopic(), cfg.transactionalId(), cfg.node(), cfg.name(),
                cfg.journal().toString());
    }

    /** How long one Kafka call may block. */
    public Duration kafkaTimeout() {
        return cfg.kafkaTimeout();
    }

    /** Completes when the first session is open (the forwarder runs), or exceptionally with a {@link ForwarderException}. */
    public CompletableFuture<Void> started() {
        return started;
    }

    /** Completes when the loop has ended: normally after {@link #stop}, exceptionally with a {@link ForwarderException}. */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    /** Asks the loop to finish its open transaction (or abort it) and end. Returns at once. */
    public void stop() {
        stopping = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Interrupts the loop's thread: for a stop that took too long (a Kafka call blocked on a dead broker). */
    public void interrupt() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    public ForwarderMetrics metrics() {
        long oldest = oldestPendingNanos;
        double lagSeconds = 0;
        if (oldest != NONE) {
            java.time.Instant now = java.time.Instant.now();
            long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
            lagSeconds = Math.max(0, nowNanos - oldest) / 1e9;
        }
        return new ForwarderMetrics(state, cfg.mode(), recordsForwarded, transactionsCommitted, transactionsAborted,
                recordsResent, retries, committed, lagRecords, lagSeconds, lastError);
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        ForwarderException failure = null;
        try {
            checkKafka();
            try {
                openSession(true);
            } catch (KafkaException e) {
                ForwarderException f = fatal(e);
                throw f != null ? f : new ForwarderException("cannot start forwarding to Kafka at "
                        + cfg.bootstrapServers() + ": " + rootMessage(e) + (cfg.mode() == DeliveryMode.EXACTLY_ONCE
                        ? "; check that the brokers allow transactions (transaction.state.log.replication.factor and"
                        + " min.isr not above the number of brokers) and that this client may use transactional id '"
                        + cfg.transactionalId() + "'" : "; check the brokers' logs"), e);
            }
            state = ForwarderState.RUNNING;
            started.complete(null);
            failure = loop();
        } catch (ForwarderException e) {
            failure = e;
        } catch (InterruptException e) {
            Thread.currentThread().interrupt();
            if (!stopping) {
                failure = new ForwarderException("interrupted while starting", e);
            }
        } catch (RuntimeException | Error e) {
            failure = new ForwarderException("stopped by an unexpected error: " + e
                    + "; this is a bug, please report it with the log", e);
        } finally {
            closeSession(failure == null);
        }
        if (failure != null) {
            lastError = failure.getMessage();
            state = ForwarderState.FAILED;
            LOG.error("forwarder {} stopped: {}", cfg.name(), failure.getMessage());
            started.completeExceptionally(failure);
            terminated.completeExceptionally(failure);
        } else {
            state = ForwarderState.STOPPED;
            started.complete(null);
            terminated.complete(null);
        }
    }

    // ---- start-up checks

    private Map<String, Object> clientProps() {
        Map<String, Object> p = new HashMap<>(cfg.producerProperties());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        return p;
    }

    /** Checks that Kafka answers and the topic exists; creates the offsets topic (exactly once) if it is missing. */
    private void checkKafka() {
        Map<String, Object> p = new HashMap<>();
        // only the settings an admin client knows (the rest are producer settings it would warn about)
        for (Map.Entry<String, Object> e : clientProps().entrySet()) {
            if (AdminClientConfig.configNames().contains(e.getKey())) {
                p.put(e.getKey(), e.getValue());
            }
        }
        int ms = (int) Math.min(Integer.MAX_VALUE, cfg.startupTimeout().toMillis());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(ms, 30_000));
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "logpipe-forward-check-" + cfg.name());
        Admin admin;
        try {
            admin = Admin.create(p);
        } catch (KafkaException e) {
            throw new ForwarderException("cannot use the bootstrap servers '" + cfg.bootstrapServers() + "' ("
                    + rootMessage(e) + "); check --bootstrap-servers and --producer-config", e);
        }
        try (admin) {
            describe(admin, cfg.topic(), ms);
            if (cfg.mode() == DeliveryMode.EXACTLY_ONCE) {
                TopicDescription d;
                try {
                    d = describe(admin, cfg.offsetsTopic(), ms);
                } catch (MissingTopic e) {
                    createOffsetsTopic(admin, ms);
                    d = describeCreated(admin, cfg.offsetsTopic(), ms);
                }
                offsetPartitions = d.partitions().size();
            }
        } catch (MissingTopic e) {
            throw new ForwarderException("topic '" + cfg.topic() + "' does not exist at " + cfg.bootstrapServers()
                    + "; create it (kafka-topics.sh --create --topic " + cfg.topic() + " ...) or check --topic");
        }
    }

    /** The topic is not there (thrown inside the checks only). */
    private static final class MissingTopic extends Exception {
        private static final long serialVersionUID = 1L;
    }

    private TopicDescription describe(Admin admin, String topic, int ms) throws MissingTopic {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(ms + 1_000L, TimeUnit.MILLISECONDS)
                    .get(topic);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof UnknownTopicOrPartitionException) {
                throw new MissingTopic();
            }
            throw startError(topic, c);
        } catch (java.util.concurrent.TimeoutException e) {
            throw startError(topic, new TimeoutException("no answer"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    /**
     * Describes a topic just created: the controller acknowledged the create, and a broker's metadata
     * has it a little later (until then a describe says it does not exist), so asks again until it is
     * there, within the start-up timeout.
     */
    private TopicDescription describeCreated(Admin admin, String topic, int ms) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (true) {
            try {
                return describe(admin, topic, ms);
            } catch (MissingTopic e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new ForwarderException("created the offsets topic '" + topic + "' but " + cfg.bootstrapServers()
                            + " does not show it within " + seconds(cfg.startupTimeout()) + "; check the brokers' logs");
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new InterruptException(ie);
                }
            }
        }
    }

    private ForwarderException startError(String topic, Throwable c) {
        if (c instanceof TimeoutException) {
            return new ForwarderException("cannot reach Kafka at " + cfg.bootstrapServers() + " within "
                    + seconds(cfg.startupTimeout()) + "; check --bootstrap-servers and that the brokers are up", c);
        }
        if (c instanceof InvalidTopicException) {
            return new ForwarderException("'" + topic + "' is not a valid topic name (" + c.getMessage()
                    + "); check --topic", c);
        }
        if (c instanceof AuthorizationException || c instanceof AuthenticationException) {
            return new ForwarderException("Kafka refused access to topic '" + topic + "': " + c.getMessage()
                    + "; check the security settings in --producer-config and the ACLs", c);
        }
        return new ForwarderException("cannot check topic '" + topic + "' at " + cfg.bootstrapServers() + ": "
                + rootMessage(c) + "; check --bootstrap-servers and the brokers' logs", c);
    }

    private void createOffsetsTopic(Admin admin, int ms) {
        NewTopic t = new NewTopic(cfg.offsetsTopic(), Optional.empty(), Optional.empty())
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try {
            admin.createTopics(List.of(t)).all().get(ms + 1_000L, TimeUnit.MILLISECONDS);
            LOG.info("created the compacted offsets topic {}", cfg.offsetsTopic());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new ForwarderException("cannot create the offsets topic '" + cfg.offsetsTopic() + "': "
                        + rootMessage(e.getCause()) + "; create it (compacted) or allow this client to", e.getCause());
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw startError(cfg.offsetsTopic(), new TimeoutException("no answer"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    // ---- sessions

    private void openSession(boolean first) {
        Map<String, Object> p = clientProps();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "logpipe-forward-" + cfg.name());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, cfg.kafkaTimeout().toMillis()));
        // never lose: the broker acknowledges once every in-sync replica has it, retries keep order and write once
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        if (cfg.mode() == DeliveryMode.EXACTLY_ONCE) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, cfg.transactionalId());
        } else {
            p.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        }
        session = new Session();
        producer = new KafkaProducer<>(p);
        long resumeAt; // the last index done: the reader starts there and skips it
        StartFrom from = null;
        repairs = repairGeneration();
        if (cfg.mode() == DeliveryMode.EXACTLY_ONCE) {
            producer.initTransactions(); // fences an older instance, completes or aborts its open transaction
            Optional<OffsetStore.Committed> k = offsets.read(clientProps(), offsetPartitions, cfg.kafkaTimeout());
            if (k.isPresent()) {
                resumeAt = translated(k.get());
                if (resumeAt < 0) {
                    from = StartFrom.START; // a repair kept nothing up to the position: all that is left is new
                }
            } else {
                long local = localPosition();
                if (local >= 0) {
                    if (first) {
                        LOG.warn("forwarder {}: no position for transactional id {} in {}; resuming after the "
                                + "journal's saved position {}", cfg.name(), cfg.transactionalId(),
                                cfg.offsetsTopic(), local);
                    }
                    resumeAt = local;
                } else {
                    resumeAt = -1;
                    from = cfg.startFrom();
                }
            }
        } else {
            long local = localPosition();
            resumeAt = local;
            if (local < 0) {
                from = cfg.startFrom();
            }
        }
        JournalReader.Builder b = JournalReader.builder(cfg.journal()).namedWithCommits(cfg.name());
        if (resumeAt >= 0) {
            b.fromIndex(resumeAt);
        } else if (from == StartFrom.END) {
            b.fromEnd();
        } else {
            b.fromStart();
        }
        try {
            reader = b.build();
        } catch (IllegalArgumentException e) {
            if (resumeAt >= 0 && e.getMessage() != null && e.getMessage().startsWith("index ")) {
                throw new ForwarderException("the committed position " + resumeAt + " of forwarder '" + cfg.name()
                        + "' is not in the journal at " + cfg.journal() + " (" + e.getMessage() + "); if this is a new "
                        + "journal, start it under another --name", e);
            }
            throw new ForwarderException(e.getMessage(), e);
        }
        if (resumeAt >= 0) {
            reader.commit(resumeAt);
            committed = resumeAt;
        } else if (from == StartFrom.END) {
            committed = reader.index() - 1;
        } else {
            committed = -1;
        }
        if (first) {
            LOG.info("forwarder {} ({}, transactional id {}) resumes after journal index {}", cfg.name(), cfg.mode(),
                    cfg.transactionalId(), committed);
        }
        inFlight = new AckedPrefix(committed);
        nextLagCheck = 0;
        updateLag();
    }

    /** The position saved in the journal's {@code readers/NAME.pos}, -1 if none. */
    private long localPosition() {
        try {
            return JournalReader.savedPosition(cfg.journal(), cfg.name()).orElse(-1);
        } catch (DamagedPositionException e) {
            throw new ForwarderException("forwarder '" + cfg.name() + "': " + e.getMessage(), e);
        }
    }

    private int repairGeneration() {
        try {
            return JournalRepair.generation(cfg.journal());
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            throw new ForwarderException(e.getMessage(), e);
        }
    }

    /**
     * A position committed to Kafka, in today's journal indexes: a repair since it was committed moved
     * the indexes after what it dropped, and kept its map to translate by (README, logpipe repair).
     */
    private long translated(OffsetStore.Committed c) {
        if (c.repairs() == repairs) {
            return c.index();
        }
        long now;
        try {
            now = JournalRepair.translate(cfg.journal(), c.index(), c.repairs());
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            throw new ForwarderException("cannot translate the committed position " + c.index() + " of forwarder '"
                    + cfg.name() + "' to the repaired journal at " + cfg.journal() + ": " + e.getMessage(), e);
        }
        LOG.warn("forwarder {}: the journal was repaired since its position was committed (repair {} then, {} now):"
                + " journal index {} is {} now", cfg.name(), c.repairs(), repairs, c.index(), now);
        return now;
    }

    /** Ends the session: finishes (graceful) or drops what is open, closes the producer and the reader. */
    private void closeSession(boolean graceful) {
        KafkaProducer<byte[], byte[]> p = producer;
        producer = null;
        if (p != null) {
            if (graceful && cfg.mode() == DeliveryMode.AT_LEAST_ONCE) {
                drainInFlight(p);
            }
            if (inTransaction >= 0 && graceful) {
                try {
                    p.abortTransaction();
                } catch (RuntimeException e) {
                    LOG.debug("abort on close failed; the next start aborts it", e);
                }
                abortedTransaction();
            }
            try {
                p.close(graceful ? cfg.kafkaTimeout() : Duration.ZERO);
            } catch (RuntimeException e) {
                LOG.debug("producer close", e);
            }
        }
        if (inTransaction >= 0) {
            abortedTransaction();
        }
        if (inFlight.pending() > 0) {
            recordsResent += inFlight.clear();
        }
        JournalReader r = reader;
        reader = null;
        if (r != null) {
            try {
                r.syncPosition();
            } catch (RuntimeException e) {
                LOG.debug("position sync", e);
            }
            r.close();
        }
    }

    private void abortedTransaction() {
        transactionsAborted++;
        recordsResent += inTransaction;
        inTransaction = -1;
    }

    // ---- the loop

    private ForwarderException loop() {
        long backoff = cfg.retryBackoff().toNanos();
        while (!stopping) {
            try {
                if (producer == null) {
                    openSession(false);
                    state = ForwarderState.RUNNING;
                    LOG.info("forwarder {} is forwarding again after journal index {}", cfg.name(), committed);
                }
                if (cfg.mode() == DeliveryMode.EXACTLY_ONCE) {
                    transactOnce();
                } else {
                    pumpAtLeastOnce();
                }
                backoff = cfg.retryBackoff().toNanos();
            } catch (ForwarderException e) {
                return e;
            } catch (InterruptException e) {
                if (stopping) {
                    Thread.interrupted();
                    return null;
                }
                return new ForwarderException("interrupted", e);
            } catch (RuntimeException e) {
                ForwarderException fatal = fatal(e);
                if (fatal != null) {
                    return fatal;
                }
                if (stopping) {
                    return null;
                }
                fatal = abortAfter(e);
                if (fatal != null) {
                    return fatal;
                }
                retries++;
                lastError = rootMessage(e);
                state = ForwarderState.RETRYING;
                LOG.warn("forwarder {}: {}; retrying from journal index {} in {} ms", cfg.name(), lastError,
                        committed + 1, TimeUnit.NANOSECONDS.toMillis(backoff));
                closeSession(false);
                pause(backoff);
                backoff = Math.min(backoff * 2, cfg.maxRetryBackoff().toNanos());
            }
        }
        return null;
    }

    /**
     * After an error inside a transaction, aborts it the way Kafka asks for abortable errors. That is
     * also how a forwarder learns it was fenced: a newer instance's {@code initTransactions} shows up
     * first as an abortable "old epoch" error on a send or a commit, and only the abort says
     * {@code PRODUCER_FENCED}; starting a new session instead would fence the newer instance back.
     * Returns the reason to stop for good, or null.
     */
    private ForwarderException abortAfter(RuntimeException e) {
        if (producer == null || inTransaction < 0 || cfg.mode() != DeliveryMode.EXACTLY_ONCE) {
            return null;
        }
        try {
            producer.abortTransaction();
            abortedTransaction();
        } catch (ProducerFencedException fenced) {
            return fatal(fenced);
        } catch (RuntimeException other) {
            LOG.debug("abort after {} failed too ({}); the next session's initTransactions aborts it",
                    e.toString(), other.toString());
        }
        return null;
    }

    /** The error as a reason to stop for good, or null if it is worth a retry. */
    private ForwarderException fatal(RuntimeException e) {
        Exception sf = session.failure;
        for (Throwable t : new Throwable[] {e, e.getCause(), sf}) {
            if (t instanceof ProducerFencedException) {
                return new ForwarderException("another forwarder with transactional id '" + cfg.transactionalId()
                        + "' started and fenced this one; run one forwarder per journal and --name", t);
            }
            if (t instanceof AuthorizationException || t instanceof AuthenticationException) {
                return new ForwarderException("Kafka refused access: " + t.getMessage()
                        + "; check the security settings in --producer-config and the ACLs", t);
            }
            if (t instanceof UnsupportedVersionException) {
                return new ForwarderException("the brokers do not support what the forwarder needs ("
                        + t.getMessage() + "); use Kafka 2.5 or later, or --mode at-least-once", t);
            }
            if (t instanceof RecordTooLargeException) {
                return new ForwarderException("a record after journal index " + committed + " is larger than Kafka "
                        + "accepts (" + t.getMessage() + "); raise max.request.size in --producer-config and the "
                        + "topic's max.message.bytes", t);
            }
        }
        return null;
    }

    private void pause(long nanos) {
        long deadline = System.nanoTime() + nanos;
        long left;
        while (!stopping && (left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                if (stopping) {
                    return;
                }
                Thread.currentThread().interrupt();
                throw new InterruptException(new InterruptedException());
            }
        }
    }

    /** The next record, waiting up to {@code timeout}; damage is logged and stepped over. Null on none or stop. */
    private ReadRecord poll(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                long left = deadline - System.nanoTime();
                ReadRecord rr = left <= 0 ? reader.next() : reader.poll(Duration.ofNanos(left));
                if (rr != null && rr.index() <= committed) {
                    continue; // the last record done, where the reader resumed
                }
                return rr;
            } catch (JournalDamageException e) {
                LOG.warn("forwarder {}: {}", cfg.name(), e.getMessage());
            } catch (InterruptedException e) {
                if (stopping) {
                    return null;
                }
                Thread.currentThread().interrupt();
                throw new InterruptException(e);
            }
        }
    }

    private void notePending(ReadRecord rr) {
        if (oldestPendingNanos == NONE) {
            oldestPendingNanos = rr.record().receiveTimeNanos();
        }
    }

    private void updateLag() {
        long now = System.nanoTime();
        if (now - nextLagCheck < 0 || reader == null) {
            return;
        }
        nextLagCheck = now + LAG_INTERVAL_NANOS;
        lagRecords = reader.recordsAfter(committed);
    }

    // ---- exactly once

    private void transactOnce() {
        ReadRecord rr = poll(IDLE_POLL);
        if (rr == null) {
            updateLag();
            return;
        }
        producer.beginTransaction();
        inTransaction = 0;
        long deadline = System.nanoTime() + cfg.maxTransactionTime().toNanos();
        long last;
        Callback cb = session;
        while (true) {
            notePending(rr);
            producer.send(mapper.map(rr), cb);
            inTransaction++;
            last = rr.index();
            if (inTransaction >= cfg.maxTransactionRecords() || stopping) {
                break;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            rr = poll(Duration.ofNanos(left));
            if (rr == null) {
                break;
            }
        }
        producer.send(offsets.record(offsetPartitions, last, repairs), cb);
        producer.commitTransaction();
        int n = inTransaction;
        inTransaction = -1;
        reader.commit(last);
        // the gauges before the position: a reader of the metrics who sees the new position sees them too
        lagRecords = reader.recordsAfter(last);
        nextLagCheck = System.nanoTime() + LAG_INTERVAL_NANOS;
        oldestPendingNanos = NONE;
        recordsForwarded += n;
        transactionsCommitted++;
        committed = last;
    }

    /** One session's send outcomes: the first failure a callback reported. */
    private static final class Session implements Callback {
        volatile Exception failure;

        /** Runs on the producer's I/O thread: must not block. */
        @Override
        public void onCompletion(RecordMetadata metadata, Exception e) {
            if (e != null && failure == null) {
                failure = e;
            }
        }
    }

    // ---- at least once

    private void pumpAtLeastOnce() {
        advancePrefix();
        Exception f = session.failure;
        if (f != null) {
            throw f instanceof KafkaException ke ? ke : new KafkaException(f);
        }
        if (inFlight.pending() >= cfg.maxInFlightRecords()) {
            LockSupport.parkNanos(this, 10_000_000L); // a callback wakes the loop
            return;
        }
        ReadRecord rr = poll(inFlight.pending() == 0 ? IDLE_POLL : Duration.ZERO);
        if (rr == null) {
            if (inFlight.pending() > 0) {
                LockSupport.parkNanos(this, 1_000_000L);
            }
            updateLag();
            return;
        }
        AckedPrefix.Sent sent = inFlight.track(rr.index(), rr.record().receiveTimeNanos(), session, thread);
        if (oldestPendingNanos == NONE) {
            oldestPendingNanos = rr.record().receiveTimeNanos();
        }
        producer.send(mapper.map(rr), sent);
    }

    private void advancePrefix() {
        int n = inFlight.advance();
        if (n > 0) {
            long last = inFlight.position();
            reader.commit(last);
            oldestPendingNanos = inFlight.oldestReceiveNanos(NONE);
            long now = System.nanoTime();
            if (now - nextForce >= 0) {
                nextForce = now + FORCE_INTERVAL_NANOS;
                reader.syncPosition();
            }
            if (now - nextLagCheck >= 0 || inFlight.pending() == 0) {
                nextLagCheck = now + LAG_INTERVAL_NANOS;
                lagRecords = reader.recordsAfter(last);
            }
            recordsForwarded += n;
            committed = last;
        }
    }

    /** On a graceful stop, at least once: waits (up to the Kafka timeout) for what is in flight, then saves the prefix. */
    private void drainInFlight(KafkaProducer<byte[], byte[]> p) {
        if (inFlight.pending() == 0) {
            return;
        }
        long deadline = System.nanoTime() + cfg.kafkaTimeout().toNanos();
        while (inFlight.pending() > 0 && session.failure == null && deadline - System.nanoTime() > 0
                && !Thread.currentThread().isInterrupted()) {
            advancePrefix();
            if (inFlight.pending() > 0) {
                LockSupport.parkNanos(this, 1_000_000L);
            }
        }
        advancePrefix();
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
