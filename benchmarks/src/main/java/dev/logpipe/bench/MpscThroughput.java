package dev.logpipe.bench;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.MpscReceiver;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.SendResult;
import dev.logpipe.channels.TryRecv;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscArrayQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmark of many-producer, one-consumer transfer throughput through a bounded queue of
 * capacity {@value #CAPACITY}: logpipe's {@code Mpsc.bounded} against {@link ArrayBlockingQueue},
 * {@link LinkedBlockingQueue} and JCTools' {@link MpscArrayQueue}, with 1, 2 and 4 producers.
 *
 * <p>Each invocation moves {@value #TRANSFERS} distinct values from {@code producers} pool threads
 * to the JMH thread, which is the single consumer, and checks that every value arrived exactly once
 * (count and sum). The score is values delivered to the consumer per second. A hand-rolled harness
 * rather than {@code @Group}: the product's consumer parks in {@code blockingRecvMany} and ends on
 * end-of-stream, which a {@code @Group} consumer cannot do without hanging at iteration end.
 *
 * <p>The forms measured are the ones the product uses:
 * <ul>
 *   <li>{@code LOGPIPE}: producers {@code trySend}, falling back to {@code blockingSend} when
 *       {@code Full} (the embedded emitter's path; the TCP path parks the connection instead);
 *       the consumer {@code blockingRecvMany(buf, 256)} until end of stream, like the journal writer.</li>
 *   <li>{@code LOGPIPE_SPIN}: producers spin/yield on {@code trySend}, the consumer spins/yields on
 *       {@code tryRecv}: the lock-free paths alone, comparable with JCTools.</li>
 *   <li>{@code ABQ}, {@code LBQ}: {@code offer}, falling back to {@code put}; consumer
 *       {@code drainTo(buf, 256)}, falling back to a timed {@code poll} when empty.</li>
 *   <li>{@code JCTOOLS}: {@code relaxedOffer} and {@code drain(consumer, 256)}, spin/yield when
 *       full or empty (JCTools has no blocking forms): the lock-free bar.</li>
 * </ul>
 *
 * <p>The benchmark machine has 2 cores: with 4 producers (5 busy threads) it is oversubscribed, and
 * what is measured there is largely how each queue behaves when its threads are descheduled.
 *
 * <p>Threading: JMH state, one benchmark thread per fork (the consumer); producer threads are owned
 * by the state and live for the trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(MpscThroughput.TRANSFERS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {
        "-Xms1g", "-Xmx1g",
        // The parent pom's chronicle.jvm.flags: not needed by this benchmark, carried so that every
        // fork of benchmarks.jar can load the journal classes.
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
        "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Dchronicle.analytics.disable=true"})
public class MpscThroughput {

    /** Values moved per invocation; divisible by every producer count. */
    static final int TRANSFERS = 1 << 20;
    static final int CAPACITY = 1024;
    static final int BATCH = 256;
    /** How long a consumer or producer waits for progress before declaring the harness stuck. */
    static final long STUCK_SECONDS = 30;

    @Param({"1", "2", "4"})
    public int producers;

    @Param({"ABQ", "LBQ", "JCTOOLS", "LOGPIPE", "LOGPIPE_SPIN"})
    public String queue;

    private ExecutorService pool;
    private Integer[][] values;
    private long expectedSum;

    @Setup(Level.Trial)
    public void setUp() {
        pool = Executors.newFixedThreadPool(producers, r -> {
            Thread t = new Thread(r, "bench-producer");
            t.setDaemon(true);
            return t;
        });
        int perProducer = TRANSFERS / producers;
        values = new Integer[producers][perProducer];
        long sum = 0;
        for (int p = 0; p < producers; p++) {
            for (int i = 0; i < perProducer; i++) {
                // Distinct boxed objects (new Integer past the cache) so that every transfer moves a
                // reference to its own object, as the product moves records.
                int v = p * perProducer + i + 1000;
                values[p][i] = Integer.valueOf(v);
                sum += v;
            }
        }
        expectedSum = sum;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
    }

    @Benchmark
    public long transfer() throws Exception {
        Harness h = switch (queue) {
            case "ABQ" -> new JdkHarness(new ArrayBlockingQueue<>(CAPACITY));
            case "LBQ" -> new JdkHarness(new LinkedBlockingQueue<>(CAPACITY));
            case "JCTOOLS" -> new JcToolsHarness(new MpscArrayQueue<>(CAPACITY));
            case "LOGPIPE" -> new MpscHarness(producers, false);
            case "LOGPIPE_SPIN" -> new MpscHarness(producers, true);
            default -> throw new IllegalArgumentException("unknown queue " + queue);
        };
        List<Future<?>> running = new ArrayList<>(producers);
        for (int p = 0; p < producers; p++) {
            int id = p;
            running.add(pool.submit(() -> {
                h.produce(id, values[id]);
                return null;
            }));
        }
        long sum = h.consume(TRANSFERS);
        for (Future<?> f : running) {
            f.get(STUCK_SECONDS, TimeUnit.SECONDS);
        }
        if (sum != expectedSum) {
            throw new IllegalStateException(queue + ": lost or duplicated values (sum " + sum
                    + ", expected " + expectedSum + ")");
        }
        return sum;
    }

    /** One queue under test for one invocation. */
    private interface Harness {
        /** Runs on producer thread {@code id}; sends every value in order. */
        void produce(int id, Integer[] vals) throws Exception;

        /** Runs on the benchmark thread; receives {@code expected} values, returns their sum. */
        long consume(int expected) throws Exception;
    }

    /** Back-off used by the non-blocking forms: a short spin, then give the core away. */
    static void idle(int round) {
        if (round < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    private static final class JdkHarness implements Harness {
        private final BlockingQueue<Integer> q;

        JdkHarness(BlockingQueue<Integer> q) {
            this.q = q;
        }

        @Override
        public void produce(int id, Integer[] vals) throws InterruptedException {
            for (Integer v : vals) {
                if (!q.offer(v)) {
                    q.put(v);
                }
            }
        }

        @Override
        public long consume(int expected) throws InterruptedException {
            List<Integer> buf = new ArrayList<>(BATCH);
            long sum = 0;
            int received = 0;
            while (received < expected) {
                int n = q.drainTo(buf, BATCH);
                if (n == 0) {
                    Integer v = q.poll(STUCK_SECONDS, TimeUnit.SECONDS);
                    if (v == null) {
                        throw new IllegalStateException("consumer stuck at " + received + " of " + expected);
                    }
                    buf.add(v);
                    n = 1;
                }
                for (int i = 0; i < n; i++) {
                    sum += buf.get(i);
                }
                buf.clear();
                received += n;
            }
            return sum;
        }
    }

    private static final class JcToolsHarness implements Harness, MessagePassingQueue.Consumer<Integer> {
        private final MpscArrayQueue<Integer> q;
        private long sum;

        JcToolsHarness(MpscArrayQueue<Integer> q) {
            this.q = q;
        }

        @Override
        public void produce(int id, Integer[] vals) {
            for (Integer v : vals) {
                int round = 0;
                while (!q.relaxedOffer(v)) {
                    idle(round++);
                }
            }
        }

        @Override
        public void accept(Integer v) {
            sum += v;
        }

        @Override
        public long consume(int expected) {
            int received = 0;
            int round = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STUCK_SECONDS);
            while (received < expected) {
                int n = q.drain(this, BATCH);
                if (n == 0) {
                    idle(round++);
                    if ((round & 0xFFFF) == 0 && System.nanoTime() > deadline) {
                        throw new IllegalStateException("consumer stuck at " + received + " of " + expected);
                    }
                } else {
                    round = 0;
                    received += n;
                }
            }
            return sum;
        }
    }

    private static final class MpscHarness implements Harness {
        private final MpscReceiver<Integer> rx;
        private final List<MpscSender<Integer>> senders;
        private final boolean spin;

        MpscHarness(int producers, boolean spin) {
            Mpsc.Channel<Integer> ch = Mpsc.bounded(CAPACITY);
            this.rx = ch.receiver();
            this.spin = spin;
            this.senders = new ArrayList<>(producers);
            for (int p = 0; p < producers; p++) {
                senders.add(ch.sender().clone());
            }
            // Only the producers' clones stay open, so end of stream comes when the last one is done.
            ch.sender().close();
        }

        @Override
        public void produce(int id, Integer[] vals) throws InterruptedException {
            try (MpscSender<Integer> tx = senders.get(id)) {
                for (Integer v : vals) {
                    if (spin) {
                        int round = 0;
                        while (!tx.trySend(v).isSent()) {
                            idle(round++);
                        }
                    } else if (!tx.trySend(v).isSent()) {
                        SendResult<Integer> r = tx.blockingSend(v);
                        if (!r.isSent()) {
                            throw new IllegalStateException("send failed: " + r);
                        }
                    }
                }
            }
        }

        @Override
        public long consume(int expected) throws InterruptedException {
            long sum = 0;
            int received = 0;
            if (spin) {
                int round = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STUCK_SECONDS);
                while (true) {
                    TryRecv<Integer> r = rx.tryRecv();
                    if (r instanceof TryRecv.Value<Integer> v) {
                        sum += v.value();
                        received++;
                        round = 0;
                    } else if (r instanceof TryRecv.Closed<Integer>) {
                        break;
                    } else {
                        idle(round++);
                        if ((round & 0xFFFF) == 0 && System.nanoTime() > deadline) {
                            throw new IllegalStateException("consumer stuck at " + received + " of " + expected);
                        }
                    }
                }
            } else {
                List<Integer> buf = new ArrayList<>(BATCH);
                int n;
                while ((n = rx.blockingRecvMany(buf, BATCH)) > 0) {
                    for (int i = 0; i < n; i++) {
                        sum += buf.get(i);
                    }
                    buf.clear();
                    received += n;
                }
            }
            if (received != expected) {
                throw new IllegalStateException("received " + received + " of " + expected + " before end of stream");
            }
            return sum;
        }
    }
}
