package dev.logpipe.runtime;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Test helper: wait for a condition with a deadline (never a sleep standing in for an outcome). */
final class Conditions {

    /** Generous: the machine has 2 cores shared with other builds. */
    static final Duration PATIENCE = Duration.ofSeconds(20);

    private Conditions() {
    }

    static void await(String what, BooleanSupplier condition) {
        await(what, PATIENCE, condition);
    }

    static void await(String what, Duration max, BooleanSupplier condition) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + max + " waiting for: " + what);
            }
            try {
                Thread.sleep(1); // polling interval only; the condition decides
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    static <T> T awaitValue(String what, Supplier<T> value) {
        Object[] box = new Object[1];
        await(what, () -> (box[0] = value.get()) != null);
        @SuppressWarnings("unchecked")
        T t = (T) box[0];
        return t;
    }
}
