package dev.logpipe.runtime.internal;

import dev.logpipe.runtime.ShutdownReport.TaskKind;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;

/**
 * One spawned task and its result: a state machine NEW → RUNNING → DONE, or NEW → CANCELLED.
 *
 * <p>Threading: thread-safe. {@link #run()} is called by the pool thread that dequeues it (at
 * most one run happens: the NEW → RUNNING CAS decides); {@link #cancel(String)} by anyone. The
 * future is completed on the thread that runs or cancels the cell; its dependents run as
 * {@link RuntimeFuture} arranges.
 */
public final class TaskCell<T> implements Runnable {

    private static final int NEW = 0;
    private static final int RUNNING = 1;
    private static final int DONE = 2;
    private static final int CANCELLED = 3;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(TaskCell.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long id;
    private final TaskKind kind;
    private final Callable<T> body;
    private final String description;
    private final RuntimeFuture<T> future;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state = NEW;
    /** Run once if the cell is cancelled before it starts (e.g. to drop a timer entry). */
    private volatile Runnable onCancel;

    public TaskCell(long id, TaskKind kind, Callable<T> body, String description, RuntimeFuture<T> future) {
        this.id = id;
        this.kind = kind;
        this.body = body;
        this.description = description;
        this.future = future;
    }

    @Override
    public void run() {
        if (!STATE.compareAndSet(this, NEW, RUNNING)) {
            return; // cancelled (or failed to start) before a thread got to it
        }
        T value;
        try {
            value = body.call();
        } catch (Throwable t) {
            state = DONE;
            future.completeExceptionally(t);
            return;
        }
        state = DONE;
        future.complete(value);
    }

    /** Cancels the task if it has not started; the future completes with a CancellationException. */
    public boolean cancel(String reason) {
        if (!STATE.compareAndSet(this, NEW, CANCELLED)) {
            return false;
        }
        Runnable hook = onCancel;
        if (hook != null) {
            hook.run();
        }
        future.completeExceptionally(new CancellationException(reason));
        return true;
    }

    /** Fails the task if it has not started (e.g. no thread could be created for it). */
    public boolean fail(Throwable cause) {
        if (!STATE.compareAndSet(this, NEW, DONE)) {
            return false;
        }
        future.completeExceptionally(cause);
        return true;
    }

    public void onCancel(Runnable hook) {
        this.onCancel = hook;
    }

    public RuntimeFuture<T> future() {
        return future;
    }

    public long id() {
        return id;
    }

    public TaskKind kind() {
        return kind;
    }

    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(java.util.Locale.ROOT) + " task #" + id + " (" + description + ")";
    }
}
