package dev.logpipe.collector.internal.server;

import dev.logpipe.channels.NonBlockingThread;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The event loops: transport choice, and threads that refuse blocking channel calls. */
class TransportTest {

    private static Throwable blockingCallOnLoop(Transport t) throws Exception {
        CompletableFuture<Throwable> out = new CompletableFuture<>();
        t.workers().next().execute(() -> {
            try {
                assertTrue(Thread.currentThread().getName().startsWith("test-io-"), Thread.currentThread().getName());
                NonBlockingThread.check("blockingSend");
                out.complete(null);
            } catch (Throwable e) {
                out.complete(e);
            }
        });
        return out.get(10, TimeUnit.SECONDS);
    }

    @Test
    @Timeout(30)
    void nativeTransportWhereAvailableAndEventLoopsRefuseBlockingCalls() throws Exception {
        Transport t = Transport.start(1, true, "test");
        try {
            assertEquals(Epoll.isAvailable() ? "epoll" : "nio", t.name());
            Throwable e = blockingCallOnLoop(t);
            assertInstanceOf(IllegalStateException.class, e);
            assertTrue(e.getMessage().contains("use send()"), e.getMessage());
        } finally {
            assertTrue(t.shutdown(5_000));
        }
    }

    @Test
    @Timeout(30)
    void nioWhenNativeIsNotWanted() throws Exception {
        Transport t = Transport.start(1, false, "test");
        try {
            assertEquals("nio", t.name());
            assertInstanceOf(IllegalStateException.class, blockingCallOnLoop(t));
        } finally {
            assertTrue(t.shutdown(5_000));
        }
    }
}
