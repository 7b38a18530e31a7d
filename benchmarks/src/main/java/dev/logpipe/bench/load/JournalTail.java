package dev.logpipe.bench.load;

import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.ReadRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Follows logpipe's journal from its start (from its end after a warm-up), in the load generator's process, and notes for each
 * record in journal order: its index, the send stamp in its message, and when the tail saw it
 * (which is when it was written, plus the tail's own delay).
 *
 * <p>The k-th record it sees is durable once the server's durable record count reaches the count
 * at its start plus k+1 (durability is a prefix of the journal), which is how {@link IngestLoad} turns these notes
 * and the polled durable counter into send-to-durable latencies.
 *
 * <p>Threading: runs on its own thread ({@link #run}); the arrays are read by the main thread only
 * after {@link #join}-ing it.
 */
final class JournalTail extends Thread {

    private final Path dir;
    private final int expected;
    private final boolean fromEnd;
    /** Counted down once the reader is positioned: only then may the measured records be sent. */
    final CountDownLatch positioned = new CountDownLatch(1);
    private final long deadlineNanos;
    final long[] index;
    final long[] stamp;
    final long[] seenAt;
    volatile int count;
    volatile Throwable failure;

    /**
     * Follows the journal in {@code dir} for {@code expected} records: from its start, or, after a
     * warm-up whose records are all written, from its end.
     */
    JournalTail(Path dir, boolean fromEnd, int expected, long deadlineNanos) {
        super("load-journal-tail");
        setDaemon(true);
        this.dir = dir;
        this.fromEnd = fromEnd;
        this.expected = expected;
        this.deadlineNanos = deadlineNanos;
        this.index = new long[expected];
        this.stamp = new long[expected];
        this.seenAt = new long[expected];
    }

    @Override
    public void run() {
        JournalReader.Builder from = fromEnd ? JournalReader.builder(dir).fromEnd() : JournalReader.builder(dir).fromStart();
        try (JournalReader reader = from.build()) {
            positioned.countDown();
            int k = 0;
            while (k < expected && System.nanoTime() < deadlineNanos) {
                ReadRecord r = reader.poll(Duration.ofMillis(100));
                if (r == null) {
                    continue;
                }
                long now = System.nanoTime();
                index[k] = r.index();
                stamp[k] = Corpus.parseStamp(r.record().message());
                seenAt[k] = now;
                k++;
                count = k;
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            positioned.countDown();
        }
    }
}
