package dev.logpipe.channels.internal;

import dev.logpipe.channels.ChannelClosedException;
import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.channels.SendResult;
import dev.logpipe.channels.Watch;
import dev.logpipe.channels.WatchReceiver;
import dev.logpipe.channels.WatchSender;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The shared state of a watch channel: an immutable {@link Snapshot} (value + version) behind a
 * volatile reference, read without a lock; updates and the list of pending waits are guarded by
 * a lock that readers never take on the fast path. Waits are completed outside the lock on the
 * updating thread.
 *
 * <p>Threading: see {@link WatchSender} and {@link WatchReceiver}. Happens-before: the volatile
 * write of a snapshot happens-before every read that returns it.
 */
public final class WatchChannel<T> {
    /** An immutable value with the version that produced it. */
    record Snapshot<T>(T value, long version) {
    }

    private volatile Snapshot<T> current;
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicLong senders = new AtomicLong(1);
    private final AtomicLong receivers = new AtomicLong(0);
    private volatile boolean sendersGone; // written under lock
    private final List<WaitNode<T, ?>> waiters = new ArrayList<>(); // guarded by lock
    private final CompletableFuture<Void> noReceivers = new CompletableFuture<>();

    private WatchChannel(T initial) {
        current = new Snapshot<>(initial, 0);
    }

    /** Creates a channel with its first sender and receiver. */
    public static <T> Watch.Channel<T> create(T initial) {
        WatchChannel<T> ch = new WatchChannel<>(initial);
        return new Watch.Channel<>(new Sender<>(ch), ch.newReceiver(0));
    }

    private Receiver<T> newReceiver(long seen) {
        receivers.incrementAndGet();
        return new Receiver<>(this, seen);
    }

    private static ChannelClosedException closed() {
        return new ChannelClosedException("watch channel closed: every sender is gone");
    }

    /** Installs {@code f(current)} (unless it returns the same instance) and wakes the waits. */
    private boolean update(UnaryOperator<T> f, boolean onlyIfModified, Object[] oldOut) {
        List<WaitNode<T, ?>> ready;
        lock.lock();
        try {
            Snapshot<T> s = current;
            T n = f.apply(s.value());
            if (onlyIfModified && n == s.value()) {
                return false;
            }
            Objects.requireNonNull(n, "new value");
            if (oldOut != null) {
                oldOut[0] = s.value();
            }
            current = new Snapshot<>(n, s.version() + 1); // volatile write: publishes the value
            ready = takeWaitersLocked();
        } finally {
            lock.unlock();
        }
        for (WaitNode<T, ?> w : ready) {
            w.serve();
        }
        return true;
    }

    private List<WaitNode<T, ?>> takeWaitersLocked() {
        if (waiters.isEmpty()) {
            return List.of();
        }
        List<WaitNode<T, ?>> ready = new ArrayList<>(waiters);
        waiters.clear();
        return ready;
    }

    /**
     * Re-registers a wait unless its condition can be decided now. Returns true if it was parked
     * again (someone else will serve it), false if the caller must serve it again.
     */
    private boolean parkAgain(WaitNode<T, ?> w, long testedVersion) {
        lock.lock();
        try {
            if (current.version() != testedVersion || sendersGone || w.isAbandoned()) {
                return false;
            }
            waiters.add(w);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void senderClosed() {
        if (senders.decrementAndGet() != 0) {
            return;
        }
        List<WaitNode<T, ?>> ready;
        lock.lock();
        try {
            sendersGone = true;
            ready = takeWaitersLocked();
        } finally {
            lock.unlock();
        }
        for (WaitNode<T, ?> w : ready) {
            w.serve();
        }
    }

    /** A pending {@code changed()} ({@code predicate == null}) or {@code waitFor}. */
    private static final class WaitNode<T, R> extends Waiter<R> {
        final Receiver<T> r;
        final Predicate<? super T> predicate;
        long tested; // the version last tested by the predicate; confined to whoever serves

        WaitNode(Receiver<T> r, Predicate<? super T> predicate, long tested) {
            this.r = r;
            this.predicate = predicate;
            this.tested = tested;
        }

        /** Decides the wait or parks it again. Called by the one thread that holds it. */
        @SuppressWarnings("unchecked")
        void serve() {
            WatchChannel<T> ch = r.ch;
            for (;;) {
                if (isAbandoned()) {
                    return;
                }
                // Read "gone" before the value: if the senders were gone already, every send came
                // before it, so the value read next is final and "closed" is the right answer.
                boolean gone = ch.sendersGone;
                Snapshot<T> s = ch.current;
                if (s.version() != tested) {
                    boolean match;
                    try {
                        match = predicate == null || predicate.test(s.value());
                    } catch (RuntimeException | Error e) {
                        if (claim()) {
                            r.clearPending(this);
                            finishExceptionally(e);
                        }
                        return;
                    }
                    if (match) {
                        // Claim before marking seen: a withdrawn wait marks nothing.
                        if (claim()) {
                            r.seen = s.version();
                            r.clearPending(this);
                            finish((R) (predicate == null ? null : s.value()));
                        }
                        return;
                    }
                    tested = s.version();
                    continue;
                }
                if (gone) {
                    if (claim()) {
                        r.clearPending(this);
                        finishExceptionally(closed());
                    }
                    return;
                }
                if (ch.parkAgain(this, tested)) {
                    return;
                }
            }
        }

        @Override
        protected void onAbandon() {
            WatchChannel<T> ch = r.ch;
            ch.lock.lock();
            try {
                ch.waiters.remove(this);
            } finally {
                ch.lock.unlock();
            }
            r.clearPending(this);
        }
    }

    private static final class Sender<T> implements WatchSender<T> {
        private final WatchChannel<T> ch;
        private final AtomicBoolean closed = new AtomicBoolean();

        Sender(WatchChannel<T> ch) {
            this.ch = ch;
        }

        @Override
        public SendResult<T> send(T value) {
            Objects.requireNonNull(value, "value");
            if (closed.get() || ch.receivers.get() == 0) {
                return new SendResult.Closed<>(value);
            }
            ch.update(old -> value, false, null);
            return SendResult.sent();
        }

        @Override
        @SuppressWarnings("unchecked")
        public T sendReplace(T value) {
            Objects.requireNonNull(value, "value");
            Object[] old = new Object[1];
            ch.update(o -> value, false, old);
            return (T) old[0];
        }

        @Override
        public void sendModify(UnaryOperator<T> f) {
            Objects.requireNonNull(f, "f");
            ch.update(f, false, null);
        }

        @Override
        public boolean sendIfModified(UnaryOperator<T> f) {
            Objects.requireNonNull(f, "f");
            return ch.update(f, true, null);
        }

        @Override
        public WatchReceiver<T> subscribe() {
            return ch.newReceiver(ch.current.version());
        }

        @Override
        public T borrow() {
            return ch.current.value();
        }

        @Override
        @SuppressWarnings("MethodDoesntCallSuperMethod")
        public WatchSender<T> clone() {
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
        public CompletionStage<Void> closed() {
            return ch.noReceivers.minimalCompletionStage();
        }

        @Override
        public long receiverCount() {
            return ch.receivers.get();
        }
    }

    private static final class Receiver<T> implements WatchReceiver<T> {
        final WatchChannel<T> ch;
        /** Version this receiver has seen; written by its thread or the one serving its wait. */
        volatile long seen;
        private volatile WaitNode<T, ?> pending;
        private final AtomicBoolean closed = new AtomicBoolean();

        Receiver(WatchChannel<T> ch, long seen) {
            this.ch = ch;
            this.seen = seen;
        }

        void clearPending(WaitNode<T, ?> w) {
            if (pending == w) {
                pending = null;
            }
        }

        private void checkNoPending() {
            if (pending != null) {
                throw new IllegalStateException("a changed()/waitFor() is still pending on this receiver; wait for it or cancel it");
            }
        }

        @Override
        public T borrow() {
            return ch.current.value();
        }

        @Override
        public T borrowAndUpdate() {
            Snapshot<T> s = ch.current;
            seen = s.version();
            return s.value();
        }

        @Override
        public boolean hasChanged() {
            return ch.current.version() != seen;
        }

        @Override
        public CompletionStage<Void> changed() {
            checkNoPending();
            WaitNode<T, Void> w = new WaitNode<>(this, null, seen);
            return start(w);
        }

        private <R> CompletionStage<R> start(WaitNode<T, R> w) {
            pending = w;
            w.serve();
            return w;
        }

        @Override
        public void blockingChanged() throws InterruptedException {
            NonBlockingThread.check("blockingChanged");
            Blocking.await(changed().toCompletableFuture());
        }

        @Override
        public CompletionStage<T> waitFor(Predicate<? super T> p) {
            Objects.requireNonNull(p, "p");
            checkNoPending();
            // tested = version - 1 (never a real version): the current value is tested first.
            WaitNode<T, T> w = new WaitNode<>(this, p, ch.current.version() - 1);
            return start(w);
        }

        @Override
        public T blockingWaitFor(Predicate<? super T> p) throws InterruptedException {
            NonBlockingThread.check("blockingWaitFor");
            return Blocking.await(waitFor(p).toCompletableFuture());
        }

        @Override
        @SuppressWarnings("MethodDoesntCallSuperMethod")
        public WatchReceiver<T> clone() {
            return ch.newReceiver(seen);
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                WaitNode<T, ?> w = pending;
                if (w != null) {
                    w.cancel(false);
                }
                if (ch.receivers.decrementAndGet() == 0) {
                    ch.noReceivers.complete(null);
                }
            }
        }
    }
}
