package dev.logpipe.runtime.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The CompletableFuture behind every join handle and every stage derived from one: it fixes
 * which thread runs continuations.
 *
 * <ul>
 *   <li>The non-async methods ({@code thenApply}, {@code thenCompose}, {@code whenComplete}, ...)
 *   run their function through the pool's continuation executor: inline on a worker of the
 *   runtime while its cooperative budget lasts, otherwise queued to the worker pool. So a
 *   continuation never runs on a blocking-pool thread or a foreign thread unawares, and a chain
 *   of already-completed stages cannot grow the stack without bound or hog a worker.</li>
 *   <li>The async methods without an executor run on the worker pool (not the common pool).</li>
 *   <li>Derived stages are RuntimeFutures too, so the rule holds down the whole chain.</li>
 * </ul>
 *
 * <p>Threading: thread-safe, as CompletableFuture.
 */
public final class RuntimeFuture<T> extends CompletableFuture<T> {

    private final WorkerPool pool;

    public RuntimeFuture(WorkerPool pool) {
        this.pool = pool;
    }

    private Executor cont() {
        return pool.continuations();
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new RuntimeFuture<>(pool);
    }

    @Override
    public Executor defaultExecutor() {
        return pool.asyncExecutor();
    }

    @Override
    public <U> CompletableFuture<U> thenApply(Function<? super T, ? extends U> fn) {
        return thenApplyAsync(fn, cont());
    }

    @Override
    public CompletableFuture<Void> thenAccept(Consumer<? super T> action) {
        return thenAcceptAsync(action, cont());
    }

    @Override
    public CompletableFuture<Void> thenRun(Runnable action) {
        return thenRunAsync(action, cont());
    }

    @Override
    public <U, V> CompletableFuture<V> thenCombine(CompletionStage<? extends U> other,
                                                   BiFunction<? super T, ? super U, ? extends V> fn) {
        return thenCombineAsync(other, fn, cont());
    }

    @Override
    public <U> CompletableFuture<Void> thenAcceptBoth(CompletionStage<? extends U> other,
                                                      BiConsumer<? super T, ? super U> action) {
        return thenAcceptBothAsync(other, action, cont());
    }

    @Override
    public CompletableFuture<Void> runAfterBoth(CompletionStage<?> other, Runnable action) {
        return runAfterBothAsync(other, action, cont());
    }

    @Override
    public <U> CompletableFuture<U> applyToEither(CompletionStage<? extends T> other, Function<? super T, U> fn) {
        return applyToEitherAsync(other, fn, cont());
    }

    @Override
    public CompletableFuture<Void> acceptEither(CompletionStage<? extends T> other, Consumer<? super T> action) {
        return acceptEitherAsync(other, action, cont());
    }

    @Override
    public CompletableFuture<Void> runAfterEither(CompletionStage<?> other, Runnable action) {
        return runAfterEitherAsync(other, action, cont());
    }

    @Override
    public <U> CompletableFuture<U> thenCompose(Function<? super T, ? extends CompletionStage<U>> fn) {
        return thenComposeAsync(fn, cont());
    }

    @Override
    public CompletableFuture<T> whenComplete(BiConsumer<? super T, ? super Throwable> action) {
        return whenCompleteAsync(action, cont());
    }

    @Override
    public <U> CompletableFuture<U> handle(BiFunction<? super T, Throwable, ? extends U> fn) {
        return handleAsync(fn, cont());
    }

    @Override
    public CompletableFuture<T> exceptionally(Function<Throwable, ? extends T> fn) {
        return exceptionallyAsync(fn, cont());
    }

    @Override
    public CompletableFuture<T> exceptionallyCompose(Function<Throwable, ? extends CompletionStage<T>> fn) {
        return exceptionallyComposeAsync(fn, cont());
    }
}
