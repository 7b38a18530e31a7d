package dev.logpipe.filesink.internal.writer;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Durable receipts registered in bulk and waiters in any order, released exactly at the watermark. */
class DurabilityWaitersTest {

    @SuppressWarnings("unchecked")
    private static CompletableFuture<Long>[] futures(int n) {
        CompletableFuture<Long>[] f = new CompletableFuture[n];
        for (int i = 0; i < n; i++) {
            f[i] = new CompletableFuture<>();
        }
        return f;
    }

    private static long[] range(long from, int n) {
        long[] idx = new long[n];
        for (int i = 0; i < n; i++) {
            idx[i] = from + i;
        }
        return idx;
    }

    @Test
    void aWatermarkReleasesExactlyTheRegisteredReceiptsAtOrBelowIt() {
        DurabilityWaiters w = new DurabilityWaiters();
        CompletableFuture<Long>[] f = futures(10);
        assertNull(w.register(range(100, 10), f, 10), "nothing durable yet");
        DurabilityWaiters.Release r = w.advance(104);
        assertEquals(5, r.size());
        for (CompletableFuture<Long> x : f) {
            assertFalse(x.isDone(), "completion is the caller's: nothing runs inside advance");
        }
        r.run();
        for (int i = 0; i < 10; i++) {
            assertEquals(i <= 4, f[i].isDone(), "receipt " + i);
            if (i <= 4) {
                assertEquals(100 + i, f[i].join());
            }
        }
        assertEquals(5, w.size());
        assertNull(w.advance(104), "the same watermark releases nothing twice");
        w.advance(200).run();
        for (int i = 0; i < 10; i++) {
            assertEquals(100 + i, f[i].join());
        }
        assertEquals(0, w.size());
    }

    @Test
    void receiptsAlreadyCoveredWhenRegisteredComeBackToCompleteAtOnce() {
        DurabilityWaiters w = new DurabilityWaiters();
        assertNull(w.advance(7));
        CompletableFuture<Long>[] f = futures(5);
        DurabilityWaiters.Release now = w.register(range(5, 5), f, 5); // 5..9, 5..7 durable
        assertEquals(3, now.size());
        now.run();
        assertEquals(5L, f[0].join());
        assertEquals(7L, f[2].join());
        assertFalse(f[3].isDone());
        assertEquals(2, w.size());
    }

    @Test
    void theRingGrowsAndWrapsWithoutLosingOrReorderingReceipts() {
        DurabilityWaiters w = new DurabilityWaiters();
        long next = 0;
        CompletableFuture<Long>[] all = futures(10_000);
        int registered = 0;
        // register in uneven batches and release in uneven steps, so head and tail wrap many times
        while (registered < all.length) {
            int n = Math.min(all.length - registered, 1 + (registered * 7919) % 1500);
            CompletableFuture<Long>[] batch = java.util.Arrays.copyOfRange(all, registered, registered + n);
            assertNull(w.register(range(next, n), batch, n));
            next += n;
            registered += n;
            DurabilityWaiters.Release r = w.advance(next - 1 - (registered % 700));
            if (r != null) {
                r.run();
            }
        }
        DurabilityWaiters.Release rest = w.advance(next);
        if (rest != null) {
            rest.run();
        }
        for (int i = 0; i < all.length; i++) {
            assertEquals((long) i, all[i].join(), "receipt " + i + " completed with its own index");
        }
        assertEquals(0, w.size());
    }

    @Test
    void awaitInAnyOrderAndRegisteredReceiptsReleaseTogether() {
        DurabilityWaiters w = new DurabilityWaiters();
        CompletableFuture<Long> late = w.await(50);
        CompletableFuture<Long> early = w.await(3);
        CompletableFuture<Long>[] f = futures(3);
        w.register(range(10, 3), f, 3);
        DurabilityWaiters.Release r = w.advance(11);
        assertEquals(3, r.size(), "index 3, 10 and 11");
        r.run();
        assertEquals(3L, early.join());
        assertEquals(11L, f[1].join());
        assertFalse(f[2].isDone());
        assertFalse(late.isDone());
        assertTrue(w.await(11).isDone(), "an index at or below the watermark completes at once");
    }

    @Test
    void failRemainingFailsEveryWaiterAndEveryLaterOne() {
        DurabilityWaiters w = new DurabilityWaiters();
        CompletableFuture<Long>[] f = futures(4);
        w.register(range(1, 4), f, 4);
        CompletableFuture<Long> any = w.await(9);
        IllegalStateException stop = new IllegalStateException("writer stopped");
        DurabilityWaiters.Release r = w.failRemaining(stop);
        assertEquals(5, r.size());
        r.run();
        for (CompletableFuture<Long> x : f) {
            ExecutionException e = assertThrows(ExecutionException.class, x::get);
            assertSame(stop, e.getCause());
        }
        assertTrue(any.isCompletedExceptionally());
        CompletableFuture<Long>[] later = futures(1);
        DurabilityWaiters.Release now = w.register(range(20, 1), later, 1);
        now.run();
        assertTrue(later[0].isCompletedExceptionally(), "registered after the failure: failed at once");
        assertTrue(w.await(30).isCompletedExceptionally());
    }
}
