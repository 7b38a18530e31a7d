package dev.logpipe.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.teragrep.rlp_01.RelpBatch;
import com.teragrep.rlp_01.RelpConnection;
import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.testsupport.Conditions;
import dev.logpipe.it.support.ServeProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged ingest across a crash: RELP clients (rlp_01) send batches to a {@code serve} child
 * and wait for each batch's acks; the child is SIGKILLed while batches wait; it restarts on the
 * same journal and port, and each client resends the batch that was not acknowledged, as omrelp
 * does. Afterwards every acknowledged message is in the journal, and so is every message sent (at
 * least once: a batch stored but not acked before the kill is stored again).
 */
class AckedCrashTest {

    private static final int CLIENTS = 3;
    private static final int BATCH = 100;

    @TempDir
    Path dir;

    /** One client: numbered messages in batches; keeps what was acked and the batch in flight. */
    private static final class Client {
        final String name;
        final Set<String> acked;
        final List<String> inFlight = new ArrayList<>();
        int next;
        volatile Throwable unexpected;

        Client(String name, Set<String> acked) {
            this.name = name;
            this.acked = acked;
        }

        /** Sends batches until {@code stop}, or until the connection breaks; false when it broke. */
        boolean run(int port, AtomicBoolean stop, int maxBatches) {
            RelpConnection c = new RelpConnection();
            c.setConnectionTimeout(5_000);
            c.setReadTimeout(15_000);
            c.setWriteTimeout(15_000);
            try {
                if (!c.connect("127.0.0.1", port)) {
                    return false;
                }
                for (int b = 0; b < maxBatches && !stop.get(); b++) {
                    if (inFlight.isEmpty()) {
                        for (int i = 0; i < BATCH; i++) {
                            inFlight.add(name + "-" + next++);
                        }
                    }
                    RelpBatch batch = new RelpBatch();
                    for (String m : inFlight) {
                        batch.insert(("<14>1 - h " + name + " - - - " + m).getBytes(StandardCharsets.UTF_8));
                    }
                    c.commit(batch);
                    if (!batch.verifyTransactionAll()) {
                        return false;
                    }
                    acked.addAll(inFlight);
                    inFlight.clear();
                }
                c.disconnect();
                return true;
            } catch (IOException | java.util.concurrent.TimeoutException | IllegalStateException e) {
                c.tearDown();
                return false; // the server went away: the batch in flight is resent later
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void sigkillWhileAcksWaitLosesNothingAcknowledgedAndResendsCompleteTheRest() throws Exception {
        Path data = dir.resolve("data");
        int relpPort = freePort();
        Set<String> acked = ConcurrentHashMap.newKeySet();
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(new Client("c" + i, acked));
        }
        AtomicBoolean stop = new AtomicBoolean();
        long ackedAtKill;
        try (ServeProcess first = ServeProcess.start(data, dir, "serve-1", List.of("-Xmx256m"),
                "--relp-port", Integer.toString(relpPort), "--sync-interval", "100ms")) {
            List<Thread> threads = new ArrayList<>();
            for (Client c : clients) {
                Thread t = new Thread(() -> c.run(relpPort, stop, Integer.MAX_VALUE), "relp-" + c.name);
                t.start();
                threads.add(t);
            }
            Conditions.await(Duration.ofSeconds(60), "3,000 acknowledged messages", () -> acked.size() >= 3_000,
                    first::output);
            ackedAtKill = acked.size();
            first.sigkill();
            for (Thread t : threads) {
                t.join(30_000);
                assertTrue(!t.isAlive(), "client " + t.getName() + " noticed the crash");
            }
        }
        Set<String> ackedBeforeRestart = Set.copyOf(acked);
        assertTrue(ackedBeforeRestart.size() >= ackedAtKill);

        try (ServeProcess second = ServeProcess.start(data, dir, "serve-2", List.of("-Xmx256m"),
                "--relp-port", Integer.toString(relpPort), "--sync-interval", "100ms")) {
            for (Client c : clients) {
                // resend the unacknowledged batch, then two more
                assertTrue(c.run(relpPort, new AtomicBoolean(), 3), "client " + c.name + " after the restart");
                assertTrue(c.inFlight.isEmpty());
            }
            second.sigterm();
            assertEquals(0, second.awaitExit(Duration.ofSeconds(60)), "second run's exit code\n" + second.output());
        }

        Map<String, Integer> stored = new HashMap<>();
        try (JournalReader r = JournalReader.builder(data).fromStart().build()) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                stored.merge(rr.record().message(), 1, Integer::sum);
            }
        }
        for (String m : ackedBeforeRestart) {
            assertTrue(stored.containsKey(m), "acknowledged before the SIGKILL but not in the journal: " + m);
        }
        int sent = 0;
        for (Client c : clients) {
            for (int i = 0; i < c.next; i++) {
                assertTrue(stored.containsKey(c.name + "-" + i), "sent (and resent) but not in the journal: " + c.name + "-" + i);
                sent++;
            }
        }
        long duplicates = stored.values().stream().filter(n -> n > 1).count();
        System.out.printf("acked crash: %d acknowledged before SIGKILL, %d sent in all, %d stored twice (resent after the crash)%n",
                ackedBeforeRestart.size(), sent, duplicates);
        assertTrue(duplicates <= (long) CLIENTS * BATCH, "only the batches in flight at the kill may be stored twice");
    }
}
