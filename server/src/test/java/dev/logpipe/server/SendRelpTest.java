package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.ListenerConfig;
import dev.logpipe.collector.ListenerProtocol;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.ReadRecord;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code logpipe send --protocol relp}: exit 0 only when every line was acknowledged. */
@Timeout(60)
class SendRelpTest {

    private static CliRun send(int port, String stdin, String... args) {
        String[] full = new String[args.length + 5];
        full[0] = "send";
        full[1] = "--port";
        full[2] = Integer.toString(port);
        full[3] = "--protocol";
        full[4] = "relp";
        System.arraycopy(args, 0, full, 5, args.length);
        return CliRun.run(cl -> ((SendCommand) cl.getSubcommands().get("send").getCommand()).stdin =
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), full);
    }

    @Test
    void everyLineIsAcknowledgedAndStored(@TempDir Path dir) throws Exception {
        LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofHours(1))
                .listener(ListenerConfig.builder().port(0).protocol(ListenerProtocol.RELP).build()).start();
        StringBuilder in = new StringBuilder();
        int n = 3_000; // more than the client's window of 1024
        for (int i = 0; i < n; i++) {
            in.append("line ").append(i).append('\n');
        }
        CliRun r = send(p.tcpPort(), in.toString(), "--app-name", "batch", "--severity", "warning");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains(n + " acknowledged as stored"), r.toString());
        assertTrue(p.stats().durableRecords() >= n, "acknowledged means durable");
        p.shutdown();
        List<String> msgs = new ArrayList<>();
        try (JournalReader jr = JournalReader.builder(dir).fromStart().build()) {
            for (ReadRecord rr; (rr = jr.next()) != null; ) {
                msgs.add(rr.record().message());
                assertEquals("batch", rr.record().service());
            }
        }
        assertEquals(n, msgs.size());
        assertEquals("line 0", msgs.get(0));
        assertEquals("line " + (n - 1), msgs.get(n - 1));
    }

    @Test
    void aRefusedLineMakesItFail() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // A RELP server that accepts the session, stores the first message and refuses the second.
            CompletableFuture<Void> fake = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                    OutputStream out = s.getOutputStream();
                    r.readLine(); // 1 open N relp_version=0
                    r.readLine(); // relp_software=...
                    r.readLine(); // commands=syslog
                    String ok = "200 OK\nrelp_version=0\ncommands=syslog";
                    out.write(("1 rsp " + ok.length() + " " + ok + "\n").getBytes(StandardCharsets.US_ASCII));
                    r.readLine();
                    r.readLine();
                    out.write("2 rsp 6 200 OK\n3 rsp 11 500 no room\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    r.readLine(); // wait for the client to go
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            CliRun r = send(server.getLocalPort(), "one\ntwo\n");
            assertNotEquals(0, r.code(), r.toString());
            assertTrue(r.err().contains("did not store message 3: 500 no room"), r.toString());
            fake.join();
        }
    }

    @Test
    void noServerIsAFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        CliRun r = send(port, "one\n");
        assertNotEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("connection refused"), r.toString());
    }
}
