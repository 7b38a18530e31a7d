package dev.logpipe.channels.internal;

import dev.logpipe.channels.ChannelClosedException;
import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.MpscReceiver;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.channels.Permit;
import dev.logpipe.channels.SendResult;
import dev.logpipe.channels.TryRecv;
import dev.logpipe.channels.WeakMpscSender;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToLongFunction;

/**
 * The shared state of one mpsc channel: a capacity counter, a lock-free value queue, a FIFO of
 * waiting senders (used only when full), and the receiver's parking slot.
 *
 * <h2>Protocol</h2>
 * <ul>
 * <li><b>Send, fast path</b> (no lock): if no sender waits, cas {@code used} up by the value's
 * weight; then lv the close flag (closed: give the units back, hand the value back); then offer
 * to the queue (one xadd + one so); then lv the receiver's waiter slot and wake it only if the
 * receiver published one.</li>
 * <li><b>Send, slow path</b> (full): under the lock, bump {@code waitingSenders} (which stops
 * fast-path senders from barging), retry the acquire, else append a waiter. Whoever frees units
 * (xadd {@code used} down, then lv {@code waitingSenders}) serves waiters in arrival order under
 * the lock, claiming each before acquiring on its behalf.</li>
 * <li><b>Receive</b>: poll; if nothing, publish the waiter (a parked {@link Thread} or an async
 * {@link RecvWaiter}) with a volatile store, then re-check the producer index and the end of
 * stream (both volatile reads: a StoreLoad pairing with the producers' xadd-then-lv), and only
 * then park. A producer that takes the waiter out by cas wakes the thread, or serves the async
 * waiter itself.</li>
 * <li><b>End of stream</b>: a close flag set and {@code used == 0} (nothing buffered, no send in
 * flight, no permit outstanding). A sender acquires before it checks the flag, and a closer sets
 * the flag before it checks {@code used}: one of them sees the other, so no value is accepted
 * after the receiver saw the end.</li>
 * </ul>
 *
 * <p>Threading: thread-safe as described on {@link MpscSender} and {@link MpscReceiver}.
 */
public final class MpscChannel<T> {
    private static final int RECEIVER_CLOSED = 1;
    private static final int SENDERS_GONE = 2;
    private static final int SPIN_BEFORE_YIELD = 64;
    private static final int SENDER_YIELDS = 4;
    private static final int RECEIVER_SPINS = 256;
    /** In {@link #used}: set when the receiver closes, so an acquire and the close are one cas apart. */
    private static final long CLOSED_BIT = 1L << 62;
    private static final long COUNT_MASK = CLOSED_BIT - 1;
    /** Largest capacity a weighted channel may have (the count shares its word with CLOSED_BIT). */
    public static final long MAX_WEIGHTED_CAPACITY = 1L << 61;
    private static final int ACQUIRED = 0;
    private static final int FULL = 1;
    private static final int CLOSED = 2;

    private static final VarHandle USED;
    private static final VarHandle WAITING_SENDERS;
    private static final VarHandle CONSUMER_WAITER;
    private static final VarHandle STATE;
    private static final VarHandle PENDING_RECV;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            USED = l.findVarHandle(MpscChannel.class, "used", long.class);
            WAITING_SENDERS = l.findVarHandle(MpscChannel.class, "waitingSenders", int.class);
            CONSUMER_WAITER = l.findVarHandle(MpscChannel.class, "consumerWaiter", Object.class);
            STATE = l.findVarHandle(MpscChannel.class, "state", int.class);
            PENDING_RECV = l.findVarHandle(MpscChannel.class, "pendingRecv", RecvWaiter.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final CompletionStage<?> SENT_STAGE =
            CompletableFuture.completedStage(SendResult.sent());

    private final long max;
    private final boolean unbounded;
    private final ToLongFunction<? super T> weigher; // null: every value weighs 1
    private final MpscQueue<T> queue;

    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    /**
     * Units held by buffered values, sends in flight and outstanding permits (low bits), plus
     * {@link #CLOSED_BIT}. Keeping the receiver-closed flag in the same word makes "acquire room"
     * and "refuse because closed" one atomic decision: a send is linearized at its cas, before or
     * after the close, never half-way (no transient acquisition that others could observe).
     */
    private volatile long used;
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;
    /** Senders in {@link #waiters}; non-zero sends fast-path senders to the slow path (FIFO). */
    private volatile int waitingSenders;
    /** Bits RECEIVER_CLOSED / SENDERS_GONE; only ever set. */
    private volatile int state;
    /** Null, the parked receiving {@link Thread}, or the pending {@link RecvWaiter}. */
    private volatile Object consumerWaiter;
    /** The receiver's pending async receive, if any (at most one). */
    private volatile RecvWaiter<T, ?> pendingRecv;

    private final AtomicLong senders = new AtomicLong(1);
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<SendWaiter<T, ?>> waiters = new ArrayDeque<>(); // guarded by lock
    private final CompletableFuture<Void> receiverClosed = new CompletableFuture<>();

    private MpscChannel(long max, boolean unbounded, ToLongFunction<? super T> weigher,
                        MpscQueue<T> queue) {
        this.max = max;
        this.unbounded = unbounded;
        this.weigher = weigher;
        this.queue = queue;
    }

    /** Creates a channel of {@code capacity} values. */
    public static <T> Mpsc.Channel<T> bounded(int capacity) {
        // A ring of that many slots up to 1M; beyond, chunks (the ring would waste memory).
        MpscQueue<T> q = capacity <= (1 << 20) ? new MpscArrayQueue<>(capacity) : new MpscChunkedQueue<>();
        return new MpscChannel<T>(capacity, false, null, q).pair();
    }

    /** Creates a channel bounded by the sum of weights. */
    public static <T> Mpsc.Channel<T> weighted(long capacity, ToLongFunction<? super T> weigher) {
        return new MpscChannel<T>(capacity, false, Objects.requireNonNull(weigher), new MpscChunkedQueue<>()).pair();
    }

    /** Creates an unbounded channel. */
    public static <T> Mpsc.Channel<T> unbounded() {
        return new MpscChannel<T>(Long.MAX_VALUE, true, null, new MpscChunkedQueue<>()).pair();
    }

    private Mpsc.Channel<T> pair() {
        return new Mpsc.Channel<>(new Sender<>(this), new Receiver<>(this));
    }

    // ------------------------------------------------------------------------------------------
    // Units

    private long weigh(T v) {
        if (weigher == null) {
            return 1;
        }
        long w = weigher.applyAsLong(v);
        return w < 1 ? 1 : Math.min(w, max);
    }

    /** Acquires {@code w} units: {@link #ACQUIRED}, {@link #FULL} or {@link #CLOSED}. */
    private int tryAcquire(long w) {
        for (;;) {
            long u = (long) USED.getVolatile(this);
            if ((u & CLOSED_BIT) != 0) {
                return CLOSED;
            }
            if (!unbounded && (u & COUNT_MASK) > max - w) {
                return FULL;
            }
            // cas: the linearization point of a send/reserve; a full fence, so the lv of the
            // consumer's waiter slot after the offer cannot move above it.
            if (USED.compareAndSet(this, u, u + w)) {
                return ACQUIRED;
            }
        }
    }

    /** Gives units back, serves waiting senders, and wakes the receiver if that ended the stream. */
    private void release(long w) {
        // xadd: full fence, so the lv of waitingSenders below pairs with a waiter's volatile
        // increment-then-acquire: either we see the waiter or it sees our units.
        long after = ((long) USED.getAndAdd(this, -w) - w) & COUNT_MASK;
        if ((int) WAITING_SENDERS.getVolatile(this) != 0) {
            serveSenders();
        }
        if (after == 0 && (int) STATE.getVolatile(this) != 0) {
            wakeConsumer(); // a permit or a refused send was all that kept the stream open
        }
    }

    private boolean isEndOfStream() {
        // The receiver's close is in the same word as the count, so an acquire after it fails.
        // Senders gone: no handle is left to acquire (weak upgrades fail once the count is 0).
        long u = (long) USED.getVolatile(this);
        return ((u & CLOSED_BIT) != 0 || (int) STATE.getVolatile(this) != 0) && (u & COUNT_MASK) == 0;
    }

    private boolean isReceiverClosed() {
        return ((long) USED.getVolatile(this) & CLOSED_BIT) != 0;
    }

    // ------------------------------------------------------------------------------------------
    // Sending

    /**
     * Enqueues a value whose units are already held. The send is already decided (linearized at
     * the acquire): even if the receiver closed since, the held units keep the stream open until
     * the receiver has drained this value.
     */
    private SendResult<T> enqueueAcquired(T v) {
        queue.offer(v);
        wakeConsumer();
        return SendResult.sent();
    }

    @SuppressWarnings("unchecked")
    private void wakeConsumer() {
        // lv after the offer's xadd (full fence): if the receiver published its waiter before our
        // claim, we see it here; otherwise its re-check of the producer index sees our claim.
        Object w = CONSUMER_WAITER.getVolatile(this);
        // cas: exactly one waker takes the waiter.
        if (w != null && CONSUMER_WAITER.compareAndSet(this, w, null)) {
            if (w instanceof Thread) {
                LockSupport.unpark((Thread) w);
            } else {
                serveRecv((RecvWaiter<T, ?>) w);
            }
        }
    }

    SendResult<T> trySend(T v) {
        Objects.requireNonNull(v, "value");
        if ((int) WAITING_SENDERS.getVolatile(this) != 0) {
            // Do not barge past waiting senders (but report a close, which refused them all).
            return isReceiverClosed() ? new SendResult.Closed<>(v) : new SendResult.Full<>(v);
        }
        int a = tryAcquire(weigh(v));
        if (a == ACQUIRED) {
            return enqueueAcquired(v);
        }
        return a == FULL ? new SendResult.Full<>(v) : new SendResult.Closed<>(v);
    }

    @SuppressWarnings("unchecked")
    CompletionStage<SendResult<T>> send(T v, long timeoutNanos) {
        Objects.requireNonNull(v, "value");
        if (isReceiverClosed()) {
            return CompletableFuture.completedStage(new SendResult.Closed<>(v));
        }
        long w = weigh(v);
        if ((int) WAITING_SENDERS.getVolatile(this) == 0) {
            int a = tryAcquire(w);
            if (a == ACQUIRED) {
                enqueueAcquired(v);
                return (CompletionStage<SendResult<T>>) SENT_STAGE;
            }
            if (a == CLOSED) {
                return CompletableFuture.completedStage(new SendResult.Closed<>(v));
            }
        }
        if (timeoutNanos == 0) {
            return CompletableFuture.completedStage(new SendResult.TimedOut<>(v));
        }
        ValueWaiter<T> sw = new ValueWaiter<>(this, v, w);
        // Queue first, then arm the timer: a timeout must find the waiter in the queue to remove.
        enqueueWaiter(sw);
        if (timeoutNanos > 0 && !sw.isDone()) {
            ScheduledFuture<?> timer = ChannelTimer.schedule(() -> {
                if (sw.abandon()) {
                    sw.finish(new SendResult.TimedOut<>(v));
                }
            }, timeoutNanos);
            sw.whenComplete((r, e) -> timer.cancel(false));
        }
        return sw;
    }

    SendResult<T> blockingSend(T v, long timeoutNanos) throws InterruptedException {
        Objects.requireNonNull(v, "value");
        SendResult<T> r = trySend(v);
        if (!(r instanceof SendResult.Full)) {
            return r;
        }
        if (timeoutNanos == 0) {
            return new SendResult.TimedOut<>(v);
        }
        long w = weigh(v);
        // Full: room usually comes back within a few scheduling quanta (the receiver drains in
        // batches); yielding a little before queueing saves a park/unpark pair per value. Only
        // while nobody waits, so the FIFO of waiting senders is not bypassed.
        for (int i = 0; i < SENDER_YIELDS && (int) WAITING_SENDERS.getVolatile(this) == 0; i++) {
            Thread.yield();
            int a = tryAcquire(w);
            if (a == ACQUIRED) {
                return enqueueAcquired(v);
            }
            if (a == CLOSED) {
                return new SendResult.Closed<>(v);
            }
        }
        ValueWaiter<T> sw = new ValueWaiter<>(this, v, w);
        sw.thread = Thread.currentThread();
        enqueueWaiter(sw);
        long deadline = timeoutNanos < 0 ? 0 : System.nanoTime() + timeoutNanos;
        // Park until the channel completes the waiter (it unparks sw.thread after finishing).
        // Cheaper than CompletableFuture.get(): no Signaller node per wait.
        while (!sw.isDone()) {
            if (Thread.interrupted()) {
                if (sw.abandon()) {
                    throw new InterruptedException();
                }
                SendResult<T> res = awaitClaimed(sw); // claimed: the send happened (or was refused)
                Thread.currentThread().interrupt();
                return res;
            }
            if (timeoutNanos < 0) {
                LockSupport.park(sw);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    if (sw.abandon()) {
                        return new SendResult.TimedOut<>(v);
                    }
                    return awaitClaimed(sw);
                }
                LockSupport.parkNanos(sw, left);
            }
        }
        return sw.join();
    }

    /** Waits, uninterruptibly, for a claimed waiter's result: it is being completed right now. */
    private static <R> R awaitClaimed(Waiter<R> w) {
        while (!w.isDone()) {
            Thread.onSpinWait();
            Thread.yield();
        }
        return w.join();
    }

    Optional<Permit<T>> tryReserve() {
        if (isReceiverClosed()) {
            return Optional.empty();
        }
        if ((int) WAITING_SENDERS.getVolatile(this) != 0 || tryAcquire(1) != ACQUIRED) {
            return Optional.empty();
        }
        return Optional.of(new PermitImpl<>(this));
    }

    CompletionStage<Permit<T>> reserve() {
        if (isReceiverClosed()) {
            return CompletableFuture.failedStage(closedForReserve());
        }
        Optional<Permit<T>> p = tryReserve();
        if (p.isPresent()) {
            return CompletableFuture.completedStage(p.get());
        }
        if (isReceiverClosed()) {
            return CompletableFuture.failedStage(closedForReserve());
        }
        PermitWaiter<T> pw = new PermitWaiter<>(this);
        enqueueWaiter(pw);
        return pw;
    }

    Permit<T> blockingReserve() throws InterruptedException {
        CompletableFuture<Permit<T>> f = reserve().toCompletableFuture();
        try {
            return f.get();
        } catch (InterruptedException e) {
            if (f instanceof PermitWaiter && ((PermitWaiter<T>) f).abandon()) {
                throw e;
            }
            Thread.currentThread().interrupt();
            return joinPermit(f);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    private static <P> P joinPermit(CompletableFuture<P> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw rethrow(e.getCause());
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        return new IllegalStateException(t);
    }

    private static ChannelClosedException closedForReserve() {
        return new ChannelClosedException("mpsc channel is closed: the receiver is gone; stop producing");
    }

    private void enqueueWaiter(SendWaiter<T, ?> sw) {
        boolean closed = false;
        boolean acquired = false;
        lock.lock();
        try {
            if (isReceiverClosed()) {
                closed = true;
            } else {
                // volatile store, then the acquire's cas reads used: pairs with release()'s
                // xadd-then-lv so that a concurrent release cannot miss this waiter.
                WAITING_SENDERS.setVolatile(this, (int) WAITING_SENDERS.get(this) + 1);
                if (waiters.isEmpty() && tryAcquire(sw.weight) == ACQUIRED) {
                    WAITING_SENDERS.setVolatile(this, (int) WAITING_SENDERS.get(this) - 1);
                    acquired = true;
                } else {
                    waiters.addLast(sw);
                }
            }
        } finally {
            lock.unlock();
        }
        if (closed) {
            if (sw.claim()) {
                sw.refuse();
            }
        } else if (acquired) {
            if (sw.claim()) {
                sw.granted();
            } else {
                release(sw.weight); // withdrawn in the meantime: nothing consumed
            }
        }
    }

    /** Hands free units to waiting senders in arrival order; completes them outside the lock. */
    private void serveSenders() {
        List<SendWaiter<T, ?>> granted = null;
        long givenBack = 0;
        lock.lock();
        try {
            SendWaiter<T, ?> sw;
            while ((sw = waiters.peekFirst()) != null && tryAcquire(sw.weight) == ACQUIRED) {
                waiters.pollFirst();
                WAITING_SENDERS.setVolatile(this, (int) WAITING_SENDERS.get(this) - 1);
                // Claim before anything is done on its behalf: a withdrawn waiter consumes nothing.
                if (sw.claim()) {
                    if (granted == null) {
                        granted = new ArrayList<>(4);
                    }
                    granted.add(sw);
                } else {
                    USED.getAndAdd(this, -sw.weight);
                    givenBack += sw.weight;
                }
            }
        } finally {
            lock.unlock();
        }
        if (granted != null) {
            for (SendWaiter<T, ?> g : granted) {
                g.granted();
            }
        }
        if (givenBack != 0 && isEndOfStream()) {
            wakeConsumer();
        }
    }

    /** Removes a withdrawn waiter and lets the ones behind it move up. */
    private void removeWaiter(SendWaiter<T, ?> sw) {
        boolean removed;
        lock.lock();
        try {
            removed = waiters.remove(sw);
            if (removed) {
                WAITING_SENDERS.setVolatile(this, (int) WAITING_SENDERS.get(this) - 1);
            }
        } finally {
            lock.unlock();
        }
        if (removed) {
            serveSenders();
        }
    }

    private void close(int bit) {
        List<SendWaiter<T, ?>> refused;
        lock.lock();
        try {
            int s = (int) STATE.getAndBitwiseOr(this, bit);
            if ((s & bit) != 0) {
                return;
            }
            if (bit == RECEIVER_CLOSED) {
                // Atomic with the senders' acquire cas: from here on every acquire fails.
                USED.getAndBitwiseOr(this, CLOSED_BIT);
            }
            refused = new ArrayList<>(waiters);
            waiters.clear();
            WAITING_SENDERS.setVolatile(this, 0);
        } finally {
            lock.unlock();
        }
        for (SendWaiter<T, ?> sw : refused) {
            if (sw.claim()) {
                sw.refuse();
            }
        }
        if (bit == RECEIVER_CLOSED) {
            receiverClosed.complete(null);
        }
        wakeConsumer();
    }

    private void senderClosed() {
        if (senders.decrementAndGet() == 0) {
            close(SENDERS_GONE);
        }
    }

    private boolean upgradeSender() {
        for (;;) {
            long c = senders.get();
            if (c == 0 || isReceiverClosed()) {
                return false;
            }
            if (senders.compareAndSet(c, c + 1)) {
                return true;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Receiving (single consumer)

    private void checkNoPending() {
        if (PENDING_RECV.getVolatile(this) != null) {
            throw new IllegalStateException("a recv() is still pending on this receiver; wait for it or cancel it");
        }
    }

    /** Polls, spinning briefly while the next value is claimed but not yet stored. */
    private T pollSpin() {
        T v = queue.relaxedPoll();
        if (v == null && queue.hasPending()) {
            int spins = 0;
            while ((v = queue.relaxedPoll()) == null) {
                if (++spins < SPIN_BEFORE_YIELD) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield(); // a producer was descheduled between claim and store
                }
            }
        }
        return v;
    }

    /** Drains 0..limit values into buf and releases their units in one step. */
    private int drain(Collection<? super T> buf, int limit) {
        int n = 0;
        long units = 0;
        try {
            while (n < limit) {
                T v = n == 0 ? pollSpin() : queue.relaxedPoll();
                if (v == null) {
                    break;
                }
                units += weigh(v);
                n++;
                buf.add(v);
            }
        } finally {
            if (units != 0) {
                release(units);
            }
        }
        return n;
    }

    TryRecv<T> tryRecv() {
        checkNoPending();
        T v = queue.relaxedPoll();
        if (v != null) {
            release(weigh(v));
            return new TryRecv.Value<>(v);
        }
        return isEndOfStream() ? TryRecv.closed() : TryRecv.empty();
    }

    private boolean readyToServe() {
        return queue.hasPending() || isEndOfStream();
    }

    /** Parks the receiving thread until a value may be there or the stream may have ended. */
    private void park() throws InterruptedException {
        // A short spin first: under load a value usually arrives within microseconds, and a
        // park/unpark pair costs a producer a syscall. Yields let producers on our core run.
        // The spin watches only the next slot; the full check (producer index, end of stream)
        // reads lines the producers write on every send, so it runs only every 32 turns.
        for (int i = 0; i < RECEIVER_SPINS; i++) {
            if (queue.peekReady()) {
                return;
            }
            if ((i & 31) == 31) {
                if (readyToServe()) {
                    return;
                }
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
        Thread t = Thread.currentThread();
        // Volatile store: a StoreLoad before the re-check, pairing with producers' xadd-then-lv.
        CONSUMER_WAITER.setVolatile(this, t);
        if (!readyToServe()) {
            LockSupport.park(this);
        }
        // cas: take the slot back unless a waker already did (then its unpark is at most spurious).
        CONSUMER_WAITER.compareAndSet(this, t, null);
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    Optional<T> blockingRecv() throws InterruptedException {
        NonBlockingThread.check("blockingRecv");
        checkNoPending();
        for (;;) {
            T v = pollSpin();
            if (v != null) {
                release(weigh(v));
                return Optional.of(v);
            }
            if (isEndOfStream()) {
                return Optional.empty();
            }
            park();
        }
    }

    int blockingRecvMany(Collection<? super T> buf, int limit) throws InterruptedException {
        NonBlockingThread.check("blockingRecvMany");
        Objects.requireNonNull(buf, "buf");
        checkLimit(limit);
        checkNoPending();
        for (;;) {
            int n = drain(buf, limit);
            if (n > 0) {
                return n;
            }
            if (isEndOfStream()) {
                return 0;
            }
            park();
        }
    }

    private static void checkLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1: " + limit);
        }
    }

    CompletionStage<Optional<T>> recv() {
        checkNoPending();
        T v = pollSpin();
        if (v != null) {
            release(weigh(v));
            return CompletableFuture.completedStage(Optional.of(v));
        }
        if (isEndOfStream()) {
            return CompletableFuture.completedStage(Optional.empty());
        }
        return register(new RecvWaiter<>(this, null, 1));
    }

    CompletionStage<Integer> recvMany(Collection<? super T> buf, int limit) {
        Objects.requireNonNull(buf, "buf");
        checkLimit(limit);
        checkNoPending();
        int n = drain(buf, limit);
        if (n > 0 || isEndOfStream()) {
            return CompletableFuture.completedStage(n);
        }
        return register(new RecvWaiter<>(this, buf, limit));
    }

    private <R> RecvWaiter<T, R> register(RecvWaiter<T, R> rw) {
        PENDING_RECV.setVolatile(this, rw);
        // Volatile store then re-check, as in park().
        CONSUMER_WAITER.setVolatile(this, rw);
        if (readyToServe() && CONSUMER_WAITER.compareAndSet(this, rw, null)) {
            serveRecv(rw);
        }
        return rw;
    }

    /**
     * Completes a pending async receive. Called by the thread that took it out of the waiter slot,
     * which thereby holds the consumer's rights (the receiver refuses other receives meanwhile).
     */
    private void serveRecv(RecvWaiter<T, ?> rw) {
        for (;;) {
            if (rw.isAbandoned()) {
                return; // withdrawn: leave the values for the next receive
            }
            if (readyToServe()) {
                if (rw.claim()) {
                    rw.deliver();
                }
                return;
            }
            // Woken without anything to take (e.g. a close while a permit is outstanding):
            // publish again, then re-check, as in park(). cas from null, not a plain store: if the
            // waiter was withdrawn meanwhile, the receiver may have published a newer one.
            if (!CONSUMER_WAITER.compareAndSet(this, null, rw)) {
                return;
            }
            if (rw.isAbandoned()) {
                CONSUMER_WAITER.compareAndSet(this, rw, null);
                return;
            }
            if (!readyToServe() || !CONSUMER_WAITER.compareAndSet(this, rw, null)) {
                return;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Waiters

    /** A sender waiting for room, for a value or for a permit. */
    private abstract static class SendWaiter<T, R> extends Waiter<R> {
        final MpscChannel<T> ch;
        final long weight;

        SendWaiter(MpscChannel<T> ch, long weight) {
            this.ch = ch;
            this.weight = weight;
        }

        /** Claimed and holding {@link #weight} units: do the operation and complete. */
        abstract void granted();

        /** Claimed, but the channel is closed: complete with the refusal. */
        abstract void refuse();

        @Override
        protected void onAbandon() {
            ch.removeWaiter(this);
        }
    }

    private static final class ValueWaiter<T> extends SendWaiter<T, SendResult<T>> {
        final T value;
        /** The blocked sender to unpark once completed, or null for an async send. */
        Thread thread;

        ValueWaiter(MpscChannel<T> ch, T value, long weight) {
            super(ch, weight);
            this.value = value;
        }

        @Override
        void granted() {
            finish(ch.enqueueAcquired(value));
            wakeThread();
        }

        @Override
        void refuse() {
            finish(new SendResult.Closed<>(value));
            wakeThread();
        }

        private void wakeThread() {
            // The write of thread happened before the waiter was published under the lock.
            Thread t = thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    private static final class PermitWaiter<T> extends SendWaiter<T, Permit<T>> {
        PermitWaiter(MpscChannel<T> ch) {
            super(ch, 1);
        }

        @Override
        void granted() {
            finish(new PermitImpl<>(ch));
        }

        @Override
        void refuse() {
            finishExceptionally(closedForReserve());
        }
    }

    /** The receiver's pending async receive: one value ({@code buf == null}) or up to limit into buf. */
    private static final class RecvWaiter<T, R> extends Waiter<R> {
        final MpscChannel<T> ch;
        final Collection<? super T> buf;
        final int limit;

        RecvWaiter(MpscChannel<T> ch, Collection<? super T> buf, int limit) {
            this.ch = ch;
            this.buf = buf;
            this.limit = limit;
        }

        @SuppressWarnings("unchecked")
        void deliver() {
            R result;
            try {
                if (buf == null) {
                    T v = ch.pollSpin();
                    if (v != null) {
                        ch.release(ch.weigh(v));
                    }
                    result = (R) Optional.ofNullable(v);
                } else {
                    result = (R) Integer.valueOf(ch.drain(buf, limit));
                }
            } catch (RuntimeException | Error e) { // e.g. a weigher or buf.add that threw
                PENDING_RECV.compareAndSet(ch, this, null);
                finishExceptionally(e);
                return;
            }
            // Clear before completing, so a continuation may receive again at once.
            PENDING_RECV.compareAndSet(ch, this, null);
            finish(result);
        }

        @Override
        protected void onAbandon() {
            CONSUMER_WAITER.compareAndSet(ch, this, null);
            PENDING_RECV.compareAndSet(ch, this, null);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Handles

    private static final class PermitImpl<T> implements Permit<T> {
        private enum Use { OPEN, SENT, CLOSED }

        private static final VarHandle USE;

        static {
            try {
                USE = MethodHandles.lookup().findVarHandle(PermitImpl.class, "use", Use.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final MpscChannel<T> ch;
        @SuppressWarnings("unused") // accessed through USE
        private volatile Use use = Use.OPEN;

        PermitImpl(MpscChannel<T> ch) {
            this.ch = ch;
        }

        @Override
        public void send(T value) {
            Objects.requireNonNull(value, "value");
            if (!USE.compareAndSet(this, Use.OPEN, Use.SENT)) {
                throw new IllegalStateException("permit already used or closed; reserve another");
            }
            long w = ch.weigh(value);
            if (w > 1) {
                USED.getAndAdd(ch, w - 1); // the rest of the weight, even over capacity
            }
            ch.queue.offer(value);
            ch.wakeConsumer();
        }

        @Override
        public void close() {
            if (USE.compareAndSet(this, Use.OPEN, Use.CLOSED)) {
                ch.release(1);
            }
        }
    }

    private static final class Sender<T> implements MpscSender<T> {
        private static final VarHandle CLOSED;

        static {
            try {
                CLOSED = MethodHandles.lookup().findVarHandle(Sender.class, "closed", boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final MpscChannel<T> ch;
        @SuppressWarnings("unused")
        private volatile boolean closed;

        Sender(MpscChannel<T> ch) {
            this.ch = ch;
        }

        @Override
        public SendResult<T> trySend(T value) {
            Objects.requireNonNull(value, "value");
            return closed ? new SendResult.Closed<>(value) : ch.trySend(value);
        }

        @Override
        public CompletionStage<SendResult<T>> send(T value) {
            Objects.requireNonNull(value, "value");
            return closed ? CompletableFuture.completedStage(new SendResult.Closed<>(value)) : ch.send(value, -1);
        }

        @Override
        public SendResult<T> blockingSend(T value) throws InterruptedException {
            NonBlockingThread.check("blockingSend");
            Objects.requireNonNull(value, "value");
            return closed ? new SendResult.Closed<>(value) : ch.blockingSend(value, -1);
        }

        @Override
        public CompletionStage<SendResult<T>> sendTimeout(T value, Duration timeout) {
            Objects.requireNonNull(value, "value");
            long nanos = nanos(timeout);
            return closed ? CompletableFuture.completedStage(new SendResult.Closed<>(value)) : ch.send(value, nanos);
        }

        @Override
        public SendResult<T> blockingSendTimeout(T value, Duration timeout) throws InterruptedException {
            NonBlockingThread.check("blockingSendTimeout");
            Objects.requireNonNull(value, "value");
            long nanos = nanos(timeout);
            return closed ? new SendResult.Closed<>(value) : ch.blockingSend(value, nanos);
        }

        private static long nanos(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("timeout must not be negative: " + timeout);
            }
            try {
                return timeout.toNanos();
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }

        @Override
        public CompletionStage<Permit<T>> reserve() {
            return closed ? CompletableFuture.failedStage(closedHandle()) : ch.reserve();
        }

        @Override
        public Permit<T> blockingReserve() throws InterruptedException {
            NonBlockingThread.check("blockingReserve");
            if (closed) {
                throw closedHandle();
            }
            return ch.blockingReserve();
        }

        @Override
        public Optional<Permit<T>> tryReserve() {
            return closed ? Optional.empty() : ch.tryReserve();
        }

        private static ChannelClosedException closedHandle() {
            return new ChannelClosedException("this sender is closed; use an open clone");
        }

        @Override
        @SuppressWarnings("MethodDoesntCallSuperMethod")
        public MpscSender<T> clone() {
            if (closed) {
                throw new IllegalStateException("sender is closed; clone an open one");
            }
            ch.senders.incrementAndGet(); // this open handle keeps the count above zero
            return new Sender<>(ch);
        }

        @Override
        public WeakMpscSender<T> downgrade() {
            MpscChannel<T> c = ch;
            return () -> c.upgradeSender() ? Optional.of(new Sender<>(c)) : Optional.empty();
        }

        @Override
        public void close() {
            // cas: idempotent, counted once.
            if (CLOSED.compareAndSet(this, false, true)) {
                ch.senderClosed();
            }
        }

        @Override
        public CompletionStage<Void> closed() {
            return ch.receiverClosed.minimalCompletionStage();
        }

        @Override
        public boolean isClosed() {
            return closed || ch.isReceiverClosed();
        }

        @Override
        public long capacity() {
            return ch.capacityNow();
        }

        @Override
        public long maxCapacity() {
            return ch.max;
        }
    }

    private long capacityNow() {
        if (unbounded) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, max - ((long) USED.getVolatile(this) & COUNT_MASK));
    }

    private static final class Receiver<T> implements MpscReceiver<T> {
        private final MpscChannel<T> ch;

        Receiver(MpscChannel<T> ch) {
            this.ch = ch;
        }

        @Override
        public TryRecv<T> tryRecv() {
            return ch.tryRecv();
        }

        @Override
        public CompletionStage<Optional<T>> recv() {
            return ch.recv();
        }

        @Override
        public Optional<T> blockingRecv() throws InterruptedException {
            return ch.blockingRecv();
        }

        @Override
        public CompletionStage<Integer> recvMany(Collection<? super T> buf, int limit) {
            return ch.recvMany(buf, limit);
        }

        @Override
        public int blockingRecvMany(Collection<? super T> buf, int limit) throws InterruptedException {
            return ch.blockingRecvMany(buf, limit);
        }

        @Override
        public void close() {
            ch.close(RECEIVER_CLOSED);
        }

        @Override
        public boolean isClosed() {
            return (int) STATE.getVolatile(ch) != 0;
        }

        @Override
        public long len() {
            return ch.queue.size();
        }

        @Override
        public long capacity() {
            return ch.capacityNow();
        }

        @Override
        public long maxCapacity() {
            return ch.max;
        }
    }

}
