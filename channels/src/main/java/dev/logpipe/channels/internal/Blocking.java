package dev.logpipe.channels.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Waiting on a channel operation's future from a blocking form, with the interrupt rule of the
 * channels: an interrupt withdraws the pending operation (nothing consumed) and throws; if the
 * channel claimed it first, its result is returned and the interrupt flag restored.
 *
 * <p>Threading: static helpers, thread-safe.
 */
final class Blocking {
    private Blocking() {
    }

    static <R> R await(CompletableFuture<R> f) throws InterruptedException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            if (f.cancel(false)) { // Waiter.cancel withdraws only if not claimed
                throw e;
            }
            Thread.currentThread().interrupt();
            try {
                return f.join();
            } catch (CompletionException ce) {
                throw unwrap(ce.getCause());
            }
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    private static RuntimeException unwrap(Throwable t) {
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        return new IllegalStateException(t);
    }
}
