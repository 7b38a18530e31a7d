package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(90)
class SendCommandTest {

    private ServerSocket server;
    private CompletableFuture<byte[]> received;

    /** A one-connection server that reads everything until the client half-closes, then closes. */
    @BeforeEach
    void listen() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        received = CompletableFuture.supplyAsync(() -> {
            try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                in.transferTo(all);
                return all.toByteArray();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    @AfterEach
    void close() throws IOException {
        server.close();
    }

    private CliRun send(String stdin, String... args) {
        String[] full = new String[args.length + 3];
        full[0] = "send";
        full[1] = "--port";
        full[2] = Integer.toString(server.getLocalPort());
        System.arraycopy(args, 0, full, 3, args.length);
        return CliRun.run(cl -> ((SendCommand) cl.getSubcommands().get("send").getCommand()).stdin =
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), full);
    }

    private String receivedText() throws Exception {
        return new String(received.get(60, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }

    @Test
    void jsonLinesGoAsTheyAreAndBlankLinesAreSkipped() throws Exception {
        String in = "{\"level\":\"INFO\",\"msg\":\"hello\"}\n\n{\"msg\":\"é ü 日本\"}\r\n   \n";
        CliRun r = send(in);
        assertEquals(0, r.code(), r.toString());
        assertEquals("{\"level\":\"INFO\",\"msg\":\"hello\"}\n{\"msg\":\"é ü 日本\"}\n", receivedText());
        assertTrue(r.err().startsWith("sent 2 records ("), r.toString());
        assertTrue(r.err().contains("to 127.0.0.1:" + server.getLocalPort()), r.toString());
    }

    @Test
    void textFromAFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("app.log");
        Files.writeString(f, "line one\nline two");
        CliRun r = send("", "--format", "text", "-q", f.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("line one\nline two\n", receivedText());
        assertEquals("", r.err());
    }

    @Test
    void syslogUsesRfc5424WithOctetCountingByDefault() throws Exception {
        CliRun r = send("disk full\nsecond\n", "--format", "syslog", "--severity", "err", "--facility", "local3",
                "--app-name", "backup");
        assertEquals(0, r.code(), r.toString());
        byte[] bytes = received.get(60, TimeUnit.SECONDS);
        List<String> frames = new ArrayList<>();
        int i = 0;
        while (i < bytes.length) {
            int sp = i;
            while (bytes[sp] != ' ') {
                sp++;
            }
            int len = Integer.parseInt(new String(bytes, i, sp - i, StandardCharsets.US_ASCII));
            frames.add(new String(bytes, sp + 1, len, StandardCharsets.UTF_8));
            i = sp + 1 + len;
        }
        assertEquals(2, frames.size(), frames.toString());
        // local3 = 19, err = 3: PRI 155
        Pattern p = Pattern.compile("<155>1 (\\S+) (\\S+) backup (\\d+) - - (.*)");
        Matcher m = p.matcher(frames.get(0));
        assertTrue(m.matches(), frames.get(0));
        assertEquals("disk full", m.group(4));
        assertEquals(Long.toString(ProcessHandle.current().pid()), m.group(3));
        assertTrue(m.group(1).endsWith("Z") && m.group(1).contains("T"), m.group(1));
        assertTrue(frames.get(1).endsWith(" - - second"), frames.get(1));
    }

    @Test
    void syslogWithLfFramingIsOneMessagePerLine() throws Exception {
        CliRun r = send("a\nb\n", "--format", "syslog", "--framing", "lf");
        assertEquals(0, r.code(), r.toString());
        String[] lines = receivedText().split("\n");
        assertEquals(2, lines.length);
        assertTrue(lines[0].startsWith("<14>1 ") && lines[0].endsWith(" logpipe-send " + ProcessHandle.current().pid() + " - - a"),
                lines[0]);
    }

    @Test
    void nothingListeningSaysWhatToDo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        CliRun r = CliRun.run(cl -> ((SendCommand) cl.getSubcommands().get("send").getCommand()).stdin =
                new ByteArrayInputStream(new byte[0]), "send", "--port", Integer.toString(port));
        assertEquals(1, r.code(), r.toString());
        assertEquals("logpipe send: cannot connect to 127.0.0.1:" + port
                + ": connection refused; is `logpipe serve` running? pass --host/--port\n", r.err());
    }

    @Test
    void badFlagsAreUsageErrors() {
        CliRun r = CliRun.run("send", "--format", "xml");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--format: 'xml' is not valid; use one of json, syslog, text"), r.toString());

        r = CliRun.run("send", "--format", "syslog", "--severity", "loud");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("'loud' is not valid for --severity; use 0-7 or emerg"), r.toString());

        r = CliRun.run("send", "--port", "99999");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("port 99999 is out of range; pass --port 1-65535"), r.toString());

        r = CliRun.run("send", "--port=http");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--port: 'http' is not valid; use a whole number"), r.toString());

        // options that would be ignored or changed are refused, not applied silently
        r = CliRun.run("send", "--protocol", "relp", "--format", "json");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--protocol relp sends each line as the text of a syslog message, so --format json"),
                r.toString());
        r = CliRun.run("send", "--protocol", "relp", "--framing", "lf");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--framing does not apply to --protocol relp"), r.toString());
        r = CliRun.run("send", "--format", "syslog", "--app-name", "has space");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--app-name 'has space' is not a syslog APP-NAME"), r.toString());
        r = CliRun.run("send", "--format", "syslog", "--app-name", "a".repeat(49));
        assertEquals(2, r.code(), r.toString());
    }

    @Test
    void bytesGoExactlyAsReadInvalidUtf8Included() throws Exception {
        byte[] in = {'c', 'a', 'f', (byte) 0xe9, '\n', (byte) 0xff, (byte) 0xfe, ' ', 'x', '\r', '\n', 'a', 0, 'b'};
        CliRun r = CliRun.run(cl -> ((SendCommand) cl.getSubcommands().get("send").getCommand()).stdin =
                new ByteArrayInputStream(in), "send", "--port", Integer.toString(server.getLocalPort()), "--format", "text");
        assertEquals(0, r.code(), r.toString());
        byte[] expected = {'c', 'a', 'f', (byte) 0xe9, '\n', (byte) 0xff, (byte) 0xfe, ' ', 'x', '\n', 'a', 0, 'b', '\n'};
        assertArrayEquals(expected, received.get(60, TimeUnit.SECONDS));
    }

    @Test
    void syslogCarriesTheLinesBytesAsTheyAre() throws Exception {
        CliRun r = CliRun.run(cl -> ((SendCommand) cl.getSubcommands().get("send").getCommand()).stdin =
                new ByteArrayInputStream(new byte[] {'c', 'a', 'f', (byte) 0xe9, '\n'}),
                "send", "--port", Integer.toString(server.getLocalPort()), "--format", "syslog", "--framing", "lf");
        assertEquals(0, r.code(), r.toString());
        byte[] got = received.get(60, TimeUnit.SECONDS);
        byte[] tail = java.util.Arrays.copyOfRange(got, got.length - 9, got.length);
        assertArrayEquals(new byte[] {'-', ' ', '-', ' ', 'c', 'a', 'f', (byte) 0xe9, '\n'}, tail);
    }

    @Test
    void waitThatTimesOutExits1() throws Exception {
        server.close();
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // accepts (in the backlog) and never closes: send cannot know whether the lines were read
            CliRun r = CliRun.run(cl -> ((SendCommand) cl.getSubcommands().get("send").getCommand()).stdin =
                    new ByteArrayInputStream("a\n".getBytes(StandardCharsets.UTF_8)),
                    "send", "--port", Integer.toString(silent.getLocalPort()), "--wait", "200ms");
            assertEquals(1, r.code(), r.toString());
            assertEquals("logpipe send: sent 1 record to 127.0.0.1:" + silent.getLocalPort() + ", but the server did not close"
                    + " the connection within 200ms, so not every line may have been read yet; raise --wait, or check the"
                    + " server (paused by backpressure?)\n", r.err());
        }
    }

    @Test
    void syslogOptionsWithoutSyslogFormatAreRefused() {
        for (String[] args : new String[][] {{"--severity", "warn"}, {"--format", "text", "--app-name", "x"},
            {"--facility", "local0"}, {"--framing", "lf"}}) {
            CliRun r = CliRun.run(args.length == 2 ? new String[] {"send", args[0], args[1]}
                    : new String[] {"send", args[0], args[1], args[2], args[3]});
            String opt = args[args.length - 2];
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().startsWith("logpipe send: " + opt + " applies only to --format syslog"), r.toString());
            assertTrue(r.err().contains("add --format syslog or drop " + opt), r.toString());
        }
    }

    @Test
    void aClientKeyWithoutItsCertificateOrTheOtherWayIsAUsageError() {
        CliRun r = CliRun.run("send", "--tls-key", "client.key");
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe send: --tls-key needs --tls-cert; a client certificate needs both\n", r.err());
        r = CliRun.run("send", "--tls-cert", "client.crt");
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe send: --tls-cert needs --tls-key; a client certificate needs both\n", r.err());
    }

    @Test
    void missingFileIsAUsageError(@TempDir Path dir) {
        CliRun r = CliRun.run("send", dir.resolve("nope.log").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("nope.log does not exist; pass a file to send, or - for stdin"), r.toString());
    }
}
