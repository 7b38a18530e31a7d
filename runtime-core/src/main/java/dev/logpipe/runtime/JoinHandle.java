package dev.logpipe.runtime;

import dev.logpipe.runtime.internal.RuntimeFuture;
import dev.logpipe.runtime.internal.ThreadChecks;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The handle of a task spawned on a {@link TaskRuntime}: a {@link CompletionStage} of the task's
 * result, with {@link #abort()}.
 *
 * <p>The stage completes normally with the task's result, exceptionally with what the task threw,
 * or exceptionally with a {@link CancellationException} when the task was aborted or the runtime
 * shut down before it started.
 *
 * <p><b>Which thread runs callbacks.</b>
 * <ul>
 *   <li>Non-async methods ({@code thenApply}, {@code thenCompose}, {@code whenComplete}, ...) run
 *   their function on a worker thread of the runtime: inline on the worker that completes (or,
 *   if already complete, registers on) the stage while that worker's cooperative budget lasts
 *   (128 continuations per task it takes from the queue), otherwise queued to the worker pool.
 *   So callbacks never run on a blocking-pool thread or on your own thread unawares, and a long
 *   chain of already-completed stages neither grows the stack without bound nor hogs a worker:
 *   past the budget the chain goes to the back of the queue and other tasks run in between.
 *   Callbacks therefore must not block.</li>
 *   <li>Async methods without an executor run on the worker pool; with an executor, on that
 *   executor.</li>
 *   <li>Every stage derived from a handle follows the same rules.</li>
 *   <li>After the runtime has shut down and its workers have exited, callbacks run on the thread
 *   that completes the stage (so no completion is ever lost).</li>
 * </ul>
 *
 * <p>Threading: thread-safe. Happens-before: what the task did before returning is visible to
 * callbacks and to {@link #join()} callers that see its result.
 *
 * @param <T> the task's result type ({@code Void} for runnables)
 */
public final class JoinHandle<T> implements CompletionStage<T> {

    private final RuntimeFuture<T> future;
    private final BooleanSupplier abort;

    JoinHandle(RuntimeFuture<T> future, BooleanSupplier abort) {
        this.future = future;
        this.abort = abort;
    }

    /**
     * Prevents the task from running if it has not started: its stage then completes with a
     * {@link CancellationException}. A task already running is not interrupted and finishes (Java
     * cannot stop a thread safely). A periodic task stops: no run starts after {@code abort}
     * returns true.
     *
     * @return true if this call cancelled the task; false if it had already started, finished or
     *     been cancelled
     */
    public boolean abort() {
        return abort.getAsBoolean();
    }

    /** Whether the task has completed in any way (result, exception or cancellation). */
    public boolean isDone() {
        return future.isDone();
    }

    /** Whether the task was cancelled (aborted, or dropped by shutdown) before it ran. */
    public boolean isCancelled() {
        return future.isCancelled();
    }

    /**
     * Waits for the task and returns its result. Blocking: refused on a
     * {@link dev.logpipe.channels.NonBlockingThread} (a runtime worker, an event loop), where it
     * throws IllegalStateException; there, chain a callback instead.
     *
     * @throws CompletionException   with the task's exception as cause, if the task threw
     * @throws CancellationException if the task was cancelled
     * @throws InterruptedException  if the waiting thread is interrupted
     */
    public T join() throws InterruptedException {
        ThreadChecks.checkMayBlock("join");
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw new CompletionException(e.getCause());
        }
    }

    /**
     * Like {@link #join()}, waiting at most {@code timeout}.
     *
     * @throws TimeoutException if the task has not completed within the timeout
     */
    public T join(Duration timeout) throws InterruptedException, TimeoutException {
        Objects.requireNonNull(timeout, "timeout");
        ThreadChecks.checkMayBlock("join");
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new CompletionException(e.getCause());
        }
    }

    /**
     * A new CompletableFuture that completes with this handle's outcome. Completing or cancelling
     * the copy does not affect the task or this handle (use {@link #abort()} for that).
     */
    @Override
    public CompletableFuture<T> toCompletableFuture() {
        return future.copy();
    }

    @Override
    public String toString() {
        return "JoinHandle[" + (future.isDone() ? (future.isCompletedExceptionally() ? "failed or cancelled" : "done")
                : "pending") + "]";
    }

    // ---- CompletionStage: delegation to the runtime future, which sets the callback threads ----

    @Override
    public <U> CompletionStage<U> thenApply(Function<? super T, ? extends U> fn) {
        return future.thenApply(fn);
    }

    @Override
    public <U> CompletionStage<U> thenApplyAsync(Function<? super T, ? extends U> fn) {
        return future.thenApplyAsync(fn);
    }

    @Override
    public <U> CompletionStage<U> thenApplyAsync(Function<? super T, ? extends U> fn, Executor executor) {
        return future.thenApplyAsync(fn, executor);
    }

    @Override
    public CompletionStage<Void> thenAccept(Consumer<? super T> action) {
        return future.thenAccept(action);
    }

    @Override
    public CompletionStage<Void> thenAcceptAsync(Consumer<? super T> action) {
        return future.thenAcceptAsync(action);
    }

    @Override
    public CompletionStage<Void> thenAcceptAsync(Consumer<? super T> action, Executor executor) {
        return future.thenAcceptAsync(action, executor);
    }

    @Override
    public CompletionStage<Void> thenRun(Runnable action) {
        return future.thenRun(action);
    }

    @Override
    public CompletionStage<Void> thenRunAsync(Runnable action) {
        return future.thenRunAsync(action);
    }

    @Override
    public CompletionStage<Void> thenRunAsync(Runnable action, Executor executor) {
        return future.thenRunAsync(action, executor);
    }

    @Override
    public <U, V> CompletionStage<V> thenCombine(CompletionStage<? extends U> other,
                                                 BiFunction<? super T, ? super U, ? extends V> fn) {
        return future.thenCombine(other, fn);
    }

    @Override
    public <U, V> CompletionStage<V> thenCombineAsync(CompletionStage<? extends U> other,
                                                      BiFunction<? super T, ? super U, ? extends V> fn) {
        return future.thenCombineAsync(other, fn);
    }

    @Override
    public <U, V> CompletionStage<V> thenCombineAsync(CompletionStage<? extends U> other,
                                                      BiFunction<? super T, ? super U, ? extends V> fn,
                                                      Executor executor) {
        return future.thenCombineAsync(other, fn, executor);
    }

    @Override
    public <U> CompletionStage<Void> thenAcceptBoth(CompletionStage<? extends U> other,
                                                    BiConsumer<? super T, ? super U> action) {
        return future.thenAcceptBoth(other, action);
    }

    @Override
    public <U> CompletionStage<Void> thenAcceptBothAsync(CompletionStage<? extends U> other,
                                                         BiConsumer<? super T, ? super U> action) {
        return future.thenAcceptBothAsync(other, action);
    }

    @Override
    public <U> CompletionStage<Void> thenAcceptBothAsync(CompletionStage<? extends U> other,
                                                         BiConsumer<? super T, ? super U> action, Executor executor) {
        return future.thenAcceptBothAsync(other, action, executor);
    }

    @Override
    public CompletionStage<Void> runAfterBoth(CompletionStage<?> other, Runnable action) {
        return future.runAfterBoth(other, action);
    }

    @Override
    public CompletionStage<Void> runAfterBothAsync(CompletionStage<?> other, Runnable action) {
        return future.runAfterBothAsync(other, action);
    }

    @Override
    public CompletionStage<Void> runAfterBothAsync(CompletionStage<?> other, Runnable action, Executor executor) {
        return future.runAfterBothAsync(other, action, executor);
    }

    @Override
    public <U> CompletionStage<U> applyToEither(CompletionStage<? extends T> other, Function<? super T, U> fn) {
        return future.applyToEither(other, fn);
    }

    @Override
    public <U> CompletionStage<U> applyToEitherAsync(CompletionStage<? extends T> other, Function<? super T, U> fn) {
        return future.applyToEitherAsync(other, fn);
    }

    @Override
    public <U> CompletionStage<U> applyToEitherAsync(CompletionStage<? extends T> other, Function<? super T, U> fn,
                                                     Executor executor) {
        return future.applyToEitherAsync(other, fn, executor);
    }

    @Override
    public CompletionStage<Void> acceptEither(CompletionStage<? extends T> other, Consumer<? super T> action) {
        return future.acceptEither(other, action);
    }

    @Override
    public CompletionStage<Void> acceptEitherAsync(CompletionStage<? extends T> other, Consumer<? super T> action) {
        return future.acceptEitherAsync(other, action);
    }

    @Override
    public CompletionStage<Void> acceptEitherAsync(CompletionStage<? extends T> other, Consumer<? super T> action,
                                                   Executor executor) {
        return future.acceptEitherAsync(other, action, executor);
    }

    @Override
    public CompletionStage<Void> runAfterEither(CompletionStage<?> other, Runnable action) {
        return future.runAfterEither(other, action);
    }

    @Override
    public CompletionStage<Void> runAfterEitherAsync(CompletionStage<?> other, Runnable action) {
        return future.runAfterEitherAsync(other, action);
    }

    @Override
    public CompletionStage<Void> runAfterEitherAsync(CompletionStage<?> other, Runnable action, Executor executor) {
        return future.runAfterEitherAsync(other, action, executor);
    }

    @Override
    public <U> CompletionStage<U> thenCompose(Function<? super T, ? extends CompletionStage<U>> fn) {
        return future.thenCompose(fn);
    }

    @Override
    public <U> CompletionStage<U> thenComposeAsync(Function<? super T, ? extends CompletionStage<U>> fn) {
        return future.thenComposeAsync(fn);
    }

    @Override
    public <U> CompletionStage<U> thenComposeAsync(Function<? super T, ? extends CompletionStage<U>> fn,
                                                   Executor executor) {
        return future.thenComposeAsync(fn, executor);
    }

    @Override
    public <U> CompletionStage<U> handle(BiFunction<? super T, Throwable, ? extends U> fn) {
        return future.handle(fn);
    }

    @Override
    public <U> CompletionStage<U> handleAsync(BiFunction<? super T, Throwable, ? extends U> fn) {
        return future.handleAsync(fn);
    }

    @Override
    public <U> CompletionStage<U> handleAsync(BiFunction<? super T, Throwable, ? extends U> fn, Executor executor) {
        return future.handleAsync(fn, executor);
    }

    @Override
    public CompletionStage<T> whenComplete(BiConsumer<? super T, ? super Throwable> action) {
        return future.whenComplete(action);
    }

    @Override
    public CompletionStage<T> whenCompleteAsync(BiConsumer<? super T, ? super Throwable> action) {
        return future.whenCompleteAsync(action);
    }

    @Override
    public CompletionStage<T> whenCompleteAsync(BiConsumer<? super T, ? super Throwable> action, Executor executor) {
        return future.whenCompleteAsync(action, executor);
    }

    @Override
    public CompletionStage<T> exceptionally(Function<Throwable, ? extends T> fn) {
        return future.exceptionally(fn);
    }

    @Override
    public CompletionStage<T> exceptionallyAsync(Function<Throwable, ? extends T> fn) {
        return future.exceptionallyAsync(fn);
    }

    @Override
    public CompletionStage<T> exceptionallyAsync(Function<Throwable, ? extends T> fn, Executor executor) {
        return future.exceptionallyAsync(fn, executor);
    }

    @Override
    public CompletionStage<T> exceptionallyCompose(Function<Throwable, ? extends CompletionStage<T>> fn) {
        return future.exceptionallyCompose(fn);
    }

    @Override
    public CompletionStage<T> exceptionallyComposeAsync(Function<Throwable, ? extends CompletionStage<T>> fn) {
        return future.exceptionallyComposeAsync(fn);
    }

    @Override
    public CompletionStage<T> exceptionallyComposeAsync(Function<Throwable, ? extends CompletionStage<T>> fn,
                                                        Executor executor) {
        return future.exceptionallyComposeAsync(fn, executor);
    }
}
