package dev.logpipe.collector;

import static dev.logpipe.collector.TestSupport.awaitServerClose;
import static dev.logpipe.collector.TestSupport.connect;
import static dev.logpipe.collector.TestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.filesink.ReadRecord;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ArrayValue;
import org.msgpack.value.Value;

/**
 * The Fluent Forward shared-key handshake against a client written the way Fluent Bit's
 * {@code out_forward} does it (plugins/out_forward/forward.c): it reads the HELO, sends a PING with a
 * 16-byte random salt packed as str (not UTF-8), hostname and {@code sha512_hex(salt + hostname +
 * nonce + key)}, checks the PONG's digest of the server's hostname, then sends Forward messages.
 */
@Timeout(60)
class FluentSharedKeyTest {

    private static final String KEY = "s3cr3t-key";

    private static LogPipeline start(Path dir) throws Exception {
        return LogPipeline.builder(dir)
                .syncInterval(Duration.ofMillis(20))
                .listener(ListenerConfig.builder().port(0).protocol(ListenerProtocol.FLUENT).fluentSharedKey(KEY).build())
                .start();
    }

    private static Value handshake(Socket s, InputStream in, String key, String clientHost, boolean dribble,
                                   byte[] thenSend) throws Exception {
        return handshake(s, in, key, null, null, clientHost, dribble, thenSend);
    }

    /**
     * A Fluent Bit-like client's side of the handshake, with {@code user} and {@code password} when the
     * server asks for a user (null: it must not); the PONG, checked.
     */
    private static Value handshake(Socket s, InputStream in, String key, String user, String password, String clientHost,
                                   boolean dribble, byte[] thenSend) throws Exception {
        MessageUnpacker u = MessagePack.newDefaultUnpacker(in);
        ArrayValue helo = u.unpackValue().asArrayValue();
        assertEquals("HELO", helo.get(0).asStringValue().asString());
        Map<Value, Value> options = helo.get(1).asMapValue().map();
        byte[] nonce = options.get(str("nonce")).asRawValue().asByteArray();
        assertEquals(32, nonce.length, "nonce");
        byte[] auth = options.get(str("auth")).asRawValue().asByteArray();
        if (user == null) {
            assertEquals(0, auth.length, "no user authentication asked for");
        } else {
            assertEquals(32, auth.length, "an auth salt: a user is asked for");
        }
        byte[] salt = new byte[16];
        for (int i = 0; i < salt.length; i++) {
            salt[i] = (byte) (0x80 + i * 7); // random bytes in Fluent Bit: not UTF-8
        }
        byte[] host = clientHost.getBytes(StandardCharsets.UTF_8);
        byte[] ping;
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(6).packString("PING").packString(clientHost);
            p.packRawStringHeader(16).writePayload(salt);
            p.packString(sha512hex(salt, host, nonce, key.getBytes(StandardCharsets.UTF_8)));
            if (user == null) {
                p.packString("").packString("");
            } else {
                p.packString(user).packString(sha512hex(auth, user.getBytes(StandardCharsets.UTF_8),
                        password.getBytes(StandardCharsets.UTF_8)));
            }
            p.flush();
            ping = p.toByteArray();
        }
        OutputStream out = s.getOutputStream();
        if (dribble) {
            for (byte b : ping) {
                out.write(b);
                out.flush();
            }
        } else {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.write(ping);
            all.write(thenSend);
            out.write(all.toByteArray());
            out.flush();
            thenSend = new byte[0];
        }
        ArrayValue pong = u.unpackValue().asArrayValue();
        assertEquals("PONG", pong.get(0).asStringValue().asString());
        if (pong.get(1).asBooleanValue().getBoolean()) {
            byte[] serverHost = pong.get(3).asRawValue().asByteArray();
            assertEquals(sha512hex(salt, serverHost, nonce, key.getBytes(StandardCharsets.UTF_8)),
                    pong.get(4).asStringValue().asString(), "the server proves it holds the key");
            out.write(thenSend);
            out.flush();
        }
        return pong;
    }

    private static Value str(String s) {
        return org.msgpack.value.ValueFactory.newString(s);
    }

    private static String sha512hex(byte[]... parts) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-512");
        for (byte[] p : parts) {
            md.update(p);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static byte[] message(String tag, String msg, String chunk) throws Exception {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(4).packString(tag).packLong(1_710_072_000L);
            p.packMapHeader(1).packString("log").packString(msg);
            p.packMapHeader(1).packString("chunk").packString(chunk);
            p.flush();
            return p.toByteArray();
        }
    }

    private static byte[] ack(String chunk) throws Exception {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(1).packString("ack").packString(chunk);
            p.flush();
            return p.toByteArray();
        }
    }

    @Test
    void aClientWithTheKeyIsAcknowledgedAndOneWithoutItStoresNothing(@TempDir Path dir) throws Exception {
        LogPipeline p = start(dir);
        InetSocketAddress addr = new InetSocketAddress("127.0.0.1", p.tcpPort());
        // the PING one byte per write, the message after the PONG, as Fluent Bit sends them
        try (Socket s = connect(addr)) {
            InputStream in = s.getInputStream();
            Value pong = handshake(s, in, KEY, "client-a", true, message("app", "one", "c1"));
            assertTrue(pong.asArrayValue().get(1).asBooleanValue().getBoolean(), "authenticated: " + pong);
            byte[] a = ack("c1");
            assertArrayEquals(a, in.readNBytes(a.length));
        }
        // the PING and a message in one write: the message is taken after the handshake
        try (Socket s = connect(addr)) {
            InputStream in = s.getInputStream();
            handshake(s, in, KEY, "client-b", false, message("app", "two", "c2"));
            byte[] a = ack("c2");
            assertArrayEquals(a, in.readNBytes(a.length));
        }
        // the wrong key: a failed PONG, the connection closed, the message after it not stored
        try (Socket s = connect(addr)) {
            InputStream in = s.getInputStream();
            Value pong = handshake(s, in, "wrong", "client-c", false, message("app", "wrong key", "c3"));
            assertFalse(pong.asArrayValue().get(1).asBooleanValue().getBoolean());
            assertEquals("shared_key mismatch", pong.asArrayValue().get(2).asStringValue().asString());
            assertTrue(awaitServerClose(s, Duration.ofSeconds(10)));
        }
        // a client without a key sends its message at once: never taken
        try (Socket s = connect(addr)) {
            s.getOutputStream().write(message("app", "no key", "c4"));
            s.getOutputStream().flush();
            assertTrue(awaitServerClose(s, Duration.ofSeconds(10)));
        }
        AckStats acks = p.ackStats();
        assertEquals(2L, acks.protocolErrors().get("fluent_auth_failed"), acks.toString());
        p.shutdown();
        List<String> stored = readJournal(dir).stream().map(ReadRecord::record).map(r -> r.message()).toList();
        assertEquals(List.of("one", "two"), stored);
    }

    @Test
    void withUsersOnlyAUserWithItsPasswordIsTaken(@TempDir Path dir) throws Exception {
        LogPipeline p = LogPipeline.builder(dir)
                .syncInterval(Duration.ofMillis(20))
                .listener(ListenerConfig.builder().port(0).protocol(ListenerProtocol.FLUENT).fluentSharedKey(KEY)
                        .fluentUsers(Map.of("alice", "pw-a", "bob", "pw-b")).build())
                .start();
        InetSocketAddress addr = new InetSocketAddress("127.0.0.1", p.tcpPort());
        try (Socket s = connect(addr)) {
            InputStream in = s.getInputStream();
            Value pong = handshake(s, in, KEY, "bob", "pw-b", "client-a", true, message("app", "bob's", "c1"));
            assertTrue(pong.asArrayValue().get(1).asBooleanValue().getBoolean(), "authenticated: " + pong);
            byte[] a = ack("c1");
            assertArrayEquals(a, in.readNBytes(a.length));
        }
        String[][] refused = {{"bob", "pw-a"}, {"carol", "pw-a"}, {"", ""}};
        for (String[] u : refused) {
            try (Socket s = connect(addr)) {
                InputStream in = s.getInputStream();
                Value pong = handshake(s, in, KEY, u[0], u[1], "client-b", false, message("app", "as " + u[0], "c2"));
                assertFalse(pong.asArrayValue().get(1).asBooleanValue().getBoolean(), u[0]);
                assertEquals("username/password mismatch", pong.asArrayValue().get(2).asStringValue().asString());
                assertTrue(awaitServerClose(s, Duration.ofSeconds(10)));
            }
        }
        // the right user with the wrong shared key: the key is checked first
        try (Socket s = connect(addr)) {
            Value pong = handshake(s, s.getInputStream(), "wrong", "alice", "pw-a", "client-c", false, new byte[0]);
            assertEquals("shared_key mismatch", pong.asArrayValue().get(2).asStringValue().asString());
        }
        assertEquals(4L, p.ackStats().protocolErrors().get("fluent_auth_failed"));
        p.shutdown();
        assertEquals(List.of("bob's"), readJournal(dir).stream().map(r -> r.record().message()).toList());
    }

    @Test
    void aPingWithAFieldOverItsBoundIsRefused(@TempDir Path dir) throws Exception {
        LogPipeline p = start(dir);
        try (Socket s = connect(new InetSocketAddress("127.0.0.1", p.tcpPort()))) {
            MessagePack.newDefaultUnpacker(s.getInputStream()).unpackValue(); // HELO
            // an array of 6 whose first string is 1,000 bytes (within the bound), sent in two parts, then
            // a string of 65,536 bytes (over it): refused from its header, before its bytes come
            byte[] head = {(byte) 0x96, (byte) 0xda, 0x03, (byte) 0xe8};
            s.getOutputStream().write(head);
            s.getOutputStream().write(new byte[990]);
            s.getOutputStream().flush();
            s.getOutputStream().write(new byte[10]); // completes the 1,000-byte "PING" type
            s.getOutputStream().write(new byte[] {(byte) 0xdb, 0, 1, 0, 0});
            s.getOutputStream().flush();
            assertTrue(awaitServerClose(s, Duration.ofSeconds(10)), "closed");
        }
        assertEquals(1L, p.ackStats().protocolErrors().get("fluent_auth_failed"));
        p.shutdown();
    }

    @Test
    void aSharedKeyIsOnlyForAFluentListener() {
        assertThrows(IllegalStateException.class,
                () -> ListenerConfig.builder().protocol(ListenerProtocol.RELP).fluentSharedKey(KEY).build());
        assertThrows(IllegalArgumentException.class, () -> ListenerConfig.builder().fluentSharedKey(""));
        assertFalse(ListenerConfig.builder().protocol(ListenerProtocol.FLUENT).fluentSharedKey(KEY).build()
                .toString().contains(KEY), "never printed");
        IllegalStateException noKey = assertThrows(IllegalStateException.class, () -> ListenerConfig.builder()
                .protocol(ListenerProtocol.FLUENT).fluentUsers(Map.of("a", "b")).build());
        assertTrue(noKey.getMessage().contains("set fluentSharedKey too"), noKey.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ListenerConfig.builder().fluentUsers(Map.of("a", "")));
        assertFalse(ListenerConfig.builder().protocol(ListenerProtocol.FLUENT).fluentSharedKey(KEY)
                .fluentUsers(Map.of("alice", "pw-secret")).build().toString().contains("pw-secret"), "never printed");
    }
}
