package dev.logpipe.channels.internal;

import dev.logpipe.channels.Broadcast;
import dev.logpipe.channels.BroadcastReceiver;
import dev.logpipe.channels.BroadcastSender;
import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.channels.TryRecv;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The shared state of a broadcast channel: a ring of the last {@code capacity} values indexed by
 * a sequence number, each receiver's next sequence, and the receivers' pending receives — all
 * guarded by one short lock. Broadcast carries control traffic, so a lock per operation is the
 * simple and sufficient choice; nothing waits while holding it, and a send never waits for a
 * receiver. Waiting receives are completed outside the lock, on the sending (or closing) thread.
 *
 * <p>Threading: see {@link BroadcastSender} and {@link BroadcastReceiver}.
 */
public final class BroadcastChannel<T> {
    private final Object[] ring;
    private final int mask;
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicLong senders = new AtomicLong(1);

    // Guarded by lock.
    private long tail; // sequence of the next value
    private long receivers;
    private boolean sendersGone;
    private final List<RecvWaiter<T>> waiters = new ArrayList<>();

    private BroadcastChannel(int capacity) {
        int cap = 1;
        while (cap < capacity) {
            cap <<= 1;
        }
        ring = new Object[cap];
        mask = cap - 1;
    }

    /** Creates a channel with its first sender and receiver. */
    public static <T> Broadcast.Channel<T> create(int capacity) {
        BroadcastChannel<T> ch = new BroadcastChannel<>(capacity);
        BroadcastReceiver<T> r;
        ch.lock.lock();
        try {
            r = ch.newReceiverLocked();
        } finally {
            ch.lock.unlock();
        }
        return new Broadcast.Channel<>(new Sender<>(ch), r);
    }

    private Receiver<T> newReceiverLocked() {
        receivers++;
        return new Receiver<>(this, tail);
    }

    private long send(T v) {
        Objects.requireNonNull(v, "value");
        List<RecvWaiter<T>> ready;
        long n;
        lock.lock();
        try {
            n = receivers;
            if (n == 0) {
                return 0; // not stored: the value stays the caller's
            }
            ring[(int) (tail & mask)] = v;
            tail++;
            ready = takeWaitersLocked();
        } finally {
            lock.unlock();
        }
        complete(ready);
        return n;
    }

    /** Claims every pending receive and computes its result, under the lock. */
    private List<RecvWaiter<T>> takeWaitersLocked() {
        if (waiters.isEmpty()) {
            return List.of();
        }
        List<RecvWaiter<T>> ready = new ArrayList<>(waiters.size());
        for (RecvWaiter<T> w : waiters) {
            // Claim before reading on its behalf: a withdrawn receive reads nothing.
            if (w.claim()) {
                w.result = w.receiver.readLocked();
                w.receiver.pending = null;
                ready.add(w);
            }
        }
        waiters.clear();
        return ready;
    }

    private static <T> void complete(List<RecvWaiter<T>> ready) {
        for (RecvWaiter<T> w : ready) {
            w.finish(w.result);
        }
    }

    private void senderClosed() {
        if (senders.decrementAndGet() != 0) {
            return;
        }
        List<RecvWaiter<T>> ready;
        lock.lock();
        try {
            sendersGone = true;
            ready = takeWaitersLocked();
        } finally {
            lock.unlock();
        }
        complete(ready);
    }

    private static final class RecvWaiter<T> extends Waiter<TryRecv<T>> {
        final Receiver<T> receiver;
        TryRecv<T> result; // written under the channel lock before finish()

        RecvWaiter(Receiver<T> receiver) {
            this.receiver = receiver;
        }

        @Override
        protected void onAbandon() {
            BroadcastChannel<T> ch = receiver.ch;
            ch.lock.lock();
            try {
                ch.waiters.remove(this);
                if (receiver.pending == this) {
                    receiver.pending = null;
                }
            } finally {
                ch.lock.unlock();
            }
        }
    }

    private static final class Sender<T> implements BroadcastSender<T> {
        private final BroadcastChannel<T> ch;
        private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

        Sender(BroadcastChannel<T> ch) {
            this.ch = ch;
        }

        @Override
        public long send(T value) {
            Objects.requireNonNull(value, "value");
            return closed.get() ? 0 : ch.send(value);
        }

        @Override
        public BroadcastReceiver<T> subscribe() {
            ch.lock.lock();
            try {
                return ch.newReceiverLocked();
            } finally {
                ch.lock.unlock();
            }
        }

        @Override
        @SuppressWarnings("MethodDoesntCallSuperMethod")
        public BroadcastSender<T> clone() {
            if (closed.get()) {
                throw new IllegalStateException("sender is closed; clone an open one");
            }
            ch.senders.incrementAndGet();
            return new Sender<>(ch);
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                ch.senderClosed();
            }
        }

        @Override
        public long receiverCount() {
            ch.lock.lock();
            try {
                return ch.receivers;
            } finally {
                ch.lock.unlock();
            }
        }
    }

    private static final class Receiver<T> implements BroadcastReceiver<T> {
        final BroadcastChannel<T> ch;
        // Guarded by ch.lock.
        private long next;
        private boolean closed;
        RecvWaiter<T> pending;

        Receiver(BroadcastChannel<T> ch, long next) {
            this.ch = ch;
            this.next = next;
        }

        /** The next result for this receiver; never blocks. Caller holds the lock. */
        @SuppressWarnings("unchecked")
        TryRecv<T> readLocked() {
            if (closed) {
                return TryRecv.closed();
            }
            long oldest = ch.tail - ch.ring.length;
            if (next < oldest) {
                long skipped = oldest - next;
                next = oldest; // continue from the oldest value still held
                return new TryRecv.Lagged<>(skipped);
            }
            if (next < ch.tail) {
                T v = (T) ch.ring[(int) (next & ch.mask)];
                next++;
                return new TryRecv.Value<>(v);
            }
            return ch.sendersGone ? TryRecv.closed() : TryRecv.empty();
        }

        private void checkNoPendingLocked() {
            if (pending != null) {
                throw new IllegalStateException("a recv() is still pending on this receiver; wait for it or cancel it");
            }
        }

        @Override
        public TryRecv<T> tryRecv() {
            ch.lock.lock();
            try {
                checkNoPendingLocked();
                return readLocked();
            } finally {
                ch.lock.unlock();
            }
        }

        @Override
        public CompletionStage<TryRecv<T>> recv() {
            ch.lock.lock();
            try {
                checkNoPendingLocked();
                TryRecv<T> r = readLocked();
                if (!(r instanceof TryRecv.Empty)) {
                    return CompletableFuture.completedStage(r);
                }
                RecvWaiter<T> w = new RecvWaiter<>(this);
                pending = w;
                ch.waiters.add(w);
                return w;
            } finally {
                ch.lock.unlock();
            }
        }

        @Override
        public TryRecv<T> blockingRecv() throws InterruptedException {
            NonBlockingThread.check("blockingRecv");
            return Blocking.await(recv().toCompletableFuture());
        }

        @Override
        public BroadcastReceiver<T> resubscribe() {
            ch.lock.lock();
            try {
                return ch.newReceiverLocked();
            } finally {
                ch.lock.unlock();
            }
        }

        @Override
        public void close() {
            List<RecvWaiter<T>> ready = List.of();
            ch.lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                ch.receivers--;
                RecvWaiter<T> w = pending;
                if (w != null && w.claim()) {
                    ch.waiters.remove(w);
                    pending = null;
                    w.result = TryRecv.closed();
                    ready = List.of(w);
                }
            } finally {
                ch.lock.unlock();
            }
            complete(ready);
        }
    }
}
