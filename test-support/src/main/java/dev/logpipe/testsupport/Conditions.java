package dev.logpipe.testsupport;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Polling with a deadline, in place of sleeps that stand for a condition.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class Conditions {

    private Conditions() {
    }

    /**
     * Polls {@code condition} every few milliseconds until it holds, or fails with an
     * {@link AssertionError} naming {@code what} (and {@code detail}'s value at the deadline).
     */
    public static void await(Duration timeout, String what, BooleanSupplier condition, Supplier<String> detail) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what
                        + (detail == null ? "" : "; " + detail.get()));
            }
            LockSupport.parkNanos(5_000_000L); // poll interval, not a wait for the outcome
        }
    }

    /** Like {@link #await(Duration, String, BooleanSupplier, Supplier)} without a detail. */
    public static void await(Duration timeout, String what, BooleanSupplier condition) {
        await(timeout, what, condition, null);
    }

    /** Generous: the machine has 2 cores shared with other builds. */
    public static final Duration PATIENCE = Duration.ofSeconds(20);

    /** Like {@link #await(Duration, String, BooleanSupplier)} with {@link #PATIENCE}. */
    public static void await(String what, BooleanSupplier condition) {
        await(PATIENCE, what, condition, null);
    }

    /** Like {@link #await(Duration, String, BooleanSupplier)}, arguments in the other order. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        await(timeout, what, condition, null);
    }

    /** Polls {@code value} until it is not null (within {@link #PATIENCE}) and returns it. */
    public static <T> T awaitValue(String what, Supplier<T> value) {
        Object[] box = new Object[1];
        await(what, () -> (box[0] = value.get()) != null);
        @SuppressWarnings("unchecked")
        T t = (T) box[0];
        return t;
    }
}
