package dev.logpipe.forward.kafka.internal;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;

/**
 * The at-least-once position: records sent and not yet acknowledged, in journal order, and the
 * unbroken prefix of acknowledged ones. Acknowledgements may come in any order (records of
 * different partitions); the position only moves over a prefix in which every record is
 * acknowledged, so it never passes a record Kafka has not taken — a failed or pending send holds it.
 *
 * <p>Threading: single consumer — {@link #track}, {@link #advance} and the rest on the forwarder's
 * thread; each {@link Sent}'s {@code onCompletion} on the producer's I/O thread (it sets a volatile
 * flag and unparks the forwarder's thread, nothing else).
 */
public final class AckedPrefix {

    /** One sent record; the producer's callback for it. */
    public static final class Sent implements Callback {
        final long index;
        final long receiveNanos;
        private final Callback onFailure;
        private final Thread waiter;
        private volatile boolean acked;

        Sent(long index, long receiveNanos, Callback onFailure, Thread waiter) {
            this.index = index;
            this.receiveNanos = receiveNanos;
            this.onFailure = onFailure;
            this.waiter = waiter;
        }

        /** Runs on the producer's I/O thread: must not block. */
        @Override
        public void onCompletion(RecordMetadata metadata, Exception exception) {
            if (exception != null) {
                onFailure.onCompletion(metadata, exception);
            } else {
                acked = true; // volatile: the forwarder's thread reads it in advance()
            }
            if (waiter != null) {
                LockSupport.unpark(waiter);
            }
        }
    }

    private final ArrayDeque<Sent> sent = new ArrayDeque<>();
    private long position;

    /** @param position the index of the last record already done (-1 for none) */
    public AckedPrefix(long position) {
        this.position = position;
    }

    /**
     * Tracks a record about to be sent; pass the result as the send's callback.
     *
     * @param onFailure told of a failed send (on the I/O thread)
     * @param waiter the thread to unpark when an outcome arrives, or null
     */
    public Sent track(long index, long receiveNanos, Callback onFailure, Thread waiter) {
        if (index <= position || (!sent.isEmpty() && index <= sent.peekLast().index)) {
            throw new IllegalArgumentException("records must be tracked in journal order: " + index);
        }
        Sent s = new Sent(index, receiveNanos, onFailure, waiter);
        sent.addLast(s);
        return s;
    }

    /** Moves the position over the acknowledged prefix; returns how many records it moved over. */
    public int advance() {
        int n = 0;
        Sent head;
        while ((head = sent.peekFirst()) != null && head.acked) {
            sent.removeFirst();
            position = head.index;
            n++;
        }
        return n;
    }

    /** The index of the last record of the acknowledged prefix (-1 for none). */
    public long position() {
        return position;
    }

    /** Records sent and not in the prefix yet. */
    public int pending() {
        return sent.size();
    }

    /** The receive time of the oldest record not in the prefix, or {@code none} if there is none. */
    public long oldestReceiveNanos(long none) {
        Sent head = sent.peekFirst();
        return head == null ? none : head.receiveNanos;
    }

    /** Forgets every record not in the prefix (they will be sent again); returns how many. */
    public int clear() {
        int n = sent.size();
        sent.clear();
        return n;
    }
}
