package dev.logpipe.channels.internal;

import dev.logpipe.channels.ChannelClosedException;
import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.channels.Oneshot;
import dev.logpipe.channels.OneshotReceiver;
import dev.logpipe.channels.OneshotSender;
import dev.logpipe.channels.SendResult;
import dev.logpipe.channels.TryRecv;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The shared state of a oneshot channel: one slot that moves, by cas, from {@code EMPTY} to the
 * value (then {@code TAKEN}), to {@code SENDER_GONE} (closed without sending) or to
 * {@code RECEIVER_GONE} (closed before a value came). A pending receive is a {@link Waiter} in a
 * volatile field; whoever changes the slot takes the waiter out by cas and completes it.
 *
 * <p>Threading: see {@link OneshotSender} and {@link OneshotReceiver}.
 */
public final class OneshotChannel<T> {
    private static final Object EMPTY = new Object();
    private static final Object TAKEN = new Object();
    private static final Object SENDER_GONE = new Object();
    private static final Object RECEIVER_GONE = new Object();

    private static final VarHandle SLOT;
    private static final VarHandle WAITER;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SLOT = l.findVarHandle(OneshotChannel.class, "slot", Object.class);
            WAITER = l.findVarHandle(OneshotChannel.class, "waiter", RecvWaiter.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused")
    private volatile Object slot = EMPTY;
    @SuppressWarnings("unused")
    private volatile RecvWaiter<T> waiter;
    private volatile boolean receiverClosed;
    private final CompletableFuture<Void> receiverClosedFuture = new CompletableFuture<>();

    private OneshotChannel() {
    }

    /** Creates a oneshot channel. */
    public static <T> Oneshot.Channel<T> create() {
        OneshotChannel<T> ch = new OneshotChannel<>();
        return new Oneshot.Channel<>(new Sender<>(ch), new Receiver<>(ch));
    }

    private void wake() {
        // getAndSet: exactly one thread takes the pending receive after the slot changed.
        @SuppressWarnings("unchecked")
        RecvWaiter<T> w = (RecvWaiter<T>) WAITER.getAndSet(this, null);
        if (w != null) {
            w.serve();
        }
    }

    private static ChannelClosedException senderGone() {
        return new ChannelClosedException("oneshot sender closed without sending a value");
    }

    /** Takes the value if there is one; the result describes the slot. */
    @SuppressWarnings("unchecked")
    private TryRecv<T> take() {
        for (;;) {
            Object s = SLOT.getVolatile(this);
            if (s == EMPTY) {
                return TryRecv.empty();
            }
            if (s == TAKEN || s == SENDER_GONE || s == RECEIVER_GONE) {
                return TryRecv.closed();
            }
            // cas: the value is taken exactly once.
            if (SLOT.compareAndSet(this, s, TAKEN)) {
                return new TryRecv.Value<>((T) s);
            }
        }
    }

    private static final class RecvWaiter<T> extends Waiter<T> {
        private final OneshotChannel<T> ch;

        RecvWaiter(OneshotChannel<T> ch) {
            this.ch = ch;
        }

        void serve() {
            if (SLOT.getVolatile(ch) == EMPTY) {
                // Not ready (spurious): publish again, then re-check (volatile store, then load).
                if (!WAITER.compareAndSet(ch, null, this)) {
                    return;
                }
                if (SLOT.getVolatile(ch) == EMPTY
                        || !WAITER.compareAndSet(ch, this, null)) {
                    return;
                }
            }
            // Claim before taking: a withdrawn receive takes nothing.
            if (!claim()) {
                return;
            }
            boolean receiverGone = SLOT.getVolatile(ch) == RECEIVER_GONE;
            TryRecv<T> r = ch.take();
            if (r instanceof TryRecv.Value) {
                finish(((TryRecv.Value<T>) r).value());
            } else {
                finishExceptionally(receiverGone
                        ? new ChannelClosedException("oneshot receiver was closed before a value arrived")
                        : senderGone());
            }
        }

        @Override
        protected void onAbandon() {
            WAITER.compareAndSet(ch, this, null);
        }
    }

    private static final class Sender<T> implements OneshotSender<T> {
        private final OneshotChannel<T> ch;
        private volatile boolean closed;

        Sender(OneshotChannel<T> ch) {
            this.ch = ch;
        }

        @Override
        public SendResult<T> send(T value) {
            Objects.requireNonNull(value, "value");
            // cas: only the first send (and only before either side closed) stores its value.
            if (closed || !SLOT.compareAndSet(ch, EMPTY, value)) {
                return new SendResult.Closed<>(value);
            }
            ch.wake();
            return SendResult.sent();
        }

        @Override
        public CompletionStage<Void> closed() {
            return ch.receiverClosedFuture.minimalCompletionStage();
        }

        @Override
        public boolean isClosed() {
            return ch.receiverClosed;
        }

        @Override
        public void close() {
            closed = true;
            if (SLOT.compareAndSet(ch, EMPTY, SENDER_GONE)) {
                ch.wake();
            }
        }
    }

    private static final class Receiver<T> implements OneshotReceiver<T> {
        private final OneshotChannel<T> ch;

        Receiver(OneshotChannel<T> ch) {
            this.ch = ch;
        }

        private void checkNoPending() {
            if (WAITER.getVolatile(ch) != null) {
                throw new IllegalStateException("a recv() is still pending on this receiver; wait for it or cancel it");
            }
        }

        @Override
        public CompletionStage<T> recv() {
            checkNoPending();
            TryRecv<T> r = ch.take();
            if (r instanceof TryRecv.Value) {
                return CompletableFuture.completedStage(((TryRecv.Value<T>) r).value());
            }
            if (r instanceof TryRecv.Closed) {
                return CompletableFuture.failedStage(senderGone());
            }
            RecvWaiter<T> w = new RecvWaiter<>(ch);
            // Volatile store, then re-check the slot: pairs with the sender's cas-then-getAndSet.
            WAITER.setVolatile(ch, w);
            if (SLOT.getVolatile(ch) != EMPTY && WAITER.compareAndSet(ch, w, null)) {
                w.serve();
            }
            return w;
        }

        @Override
        public T blockingRecv() throws InterruptedException {
            NonBlockingThread.check("blockingRecv");
            return Blocking.await(recv().toCompletableFuture());
        }

        @Override
        public TryRecv<T> tryRecv() {
            checkNoPending();
            return ch.take();
        }

        @Override
        public void close() {
            ch.receiverClosed = true;
            // cas: later sends fail; a value sent before stays readable.
            if (SLOT.compareAndSet(ch, EMPTY, RECEIVER_GONE)) {
                ch.wake(); // a pending recv of this receiver can never complete with a value now
            }
            ch.receiverClosedFuture.complete(null);
        }
    }
}
