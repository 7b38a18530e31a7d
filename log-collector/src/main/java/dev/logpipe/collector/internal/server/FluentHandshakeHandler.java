package dev.logpipe.collector.internal.server;

import dev.logpipe.collector.internal.pipeline.AckCounters;
import dev.logpipe.collector.internal.pipeline.LogLimiter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The server side of the Fluent Forward protocol's shared-key handshake (Forward Protocol
 * Specification v1, "Handshake Messages"), first on a connection of a Fluent listener that has a
 * shared key: it sends {@code ["HELO", {"nonce": n, "auth": "", "keepalive": true}]} as soon as the
 * connection is up, reads the client's {@code ["PING", client_hostname, shared_key_salt,
 * sha512_hex(salt + client_hostname + nonce + shared_key), username, password_digest]}, and answers
 * {@code ["PONG", true, "", server_hostname, sha512_hex(salt + server_hostname + nonce + shared_key)]}
 * (so the client can check the server holds the key too); it then leaves the pipeline, handing any
 * bytes that came after the PING to the Forward decoder. A wrong digest, or anything else than a PING
 * first, is answered {@code ["PONG", false, reason, "", ""]} (a PING) or not at all, counted as the
 * error {@code fluent_auth_failed}, and the connection closes: nothing it sent is stored.
 *
 * <p>As Fluent Bit's {@code out_forward} (and fluentd's) compute it: the digests are lowercase hex of
 * SHA-512 over the raw bytes (the client's salt is 16 random bytes, sent as a msgpack str that need
 * not be UTF-8), and the nonce is ASCII here (32 hex digits) so that strict msgpack decoders take it
 * as str. With users configured (fluentd's {@code user_auth}), the HELO's {@code auth} is a random salt
 * of the same kind and the PING must name a user, with {@code sha512_hex(auth_salt + username +
 * password)}; the shared key is checked first, then the user ({@code ["PONG", false, "username/password
 * mismatch", "", ""]}). Without users {@code auth} is empty and what a client sends there is ignored.
 *
 * <p>Memory: the PING is read into a buffer of at most {@value #MAX_PING_BYTES} bytes and every
 * field is checked for its type and length before it is read; a client that sends more without
 * completing a PING is closed.
 *
 * <p>Threading: confined to the connection's event loop; one instance per connection.
 */
final class FluentHandshakeHandler extends ByteToMessageDecoder {

    private static final Logger LOG = LoggerFactory.getLogger(FluentHandshakeHandler.class);
    private static final LogLimiter FAILURE_LOG = LogLimiter.perMinute();
    static final String AUTH_FAILED = "fluent_auth_failed";
    /**
     * Bounds: Fluent Bit's PING is about 300 bytes (hostname, a 16-byte salt, two 128-byte digests);
     * an unfinished one is parsed again on each read, so these also bound that work.
     */
    static final int MAX_PING_BYTES = 8 << 10;
    static final int MAX_FIELD_BYTES = 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] sharedKey;
    /** User name to password, as UTF-8 (shared by the listener's connections, read only); null: none asked for. */
    private final Map<String, byte[]> users;
    /** The HELO's auth salt (ASCII hex), empty without users. */
    private final byte[] authSalt;
    private final String serverHostname;
    private final AckCounters counters;
    private final byte[] nonce;
    private boolean failed;

    /**
     * @param sharedKey the key as UTF-8, shared by the listener's connections (never written to)
     * @param users {@link #usersAsBytes} of the listener's users, or null for no user authentication
     */
    FluentHandshakeHandler(byte[] sharedKey, Map<String, byte[]> users, String serverHostname, AckCounters counters) {
        this.sharedKey = sharedKey;
        this.users = users;
        this.serverHostname = serverHostname;
        this.counters = counters;
        this.nonce = randomHex();
        this.authSalt = users == null ? new byte[0] : randomHex();
    }

    /** Users' passwords as UTF-8, once per listener (null stays null). */
    static Map<String, byte[]> usersAsBytes(Map<String, String> users) {
        if (users == null) {
            return null;
        }
        Map<String, byte[]> out = new HashMap<>();
        users.forEach((name, password) -> out.put(name, password.getBytes(StandardCharsets.UTF_8)));
        return Map.copyOf(out);
    }

    private static byte[] randomHex() {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(helo()));
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        String problem;
        Ping ping;
        try {
            ping = Ping.read(in);
            if (ping == null) {
                if (in.readableBytes() > MAX_PING_BYTES) {
                    fail(ctx, null, "more than " + MAX_PING_BYTES + " bytes without a complete PING");
                }
                return; // wait for the rest of it
            }
            problem = ping.problem();
        } catch (MessagePackException | IOException | IllegalArgumentException e) {
            fail(ctx, null, "not a PING: " + e.getMessage() + " (is the client configured without the shared key?)");
            return;
        }
        if (problem != null) {
            fail(ctx, null, problem);
            return;
        }
        byte[] expected = hexDigest(ping.salt, ping.hostname, nonce, sharedKey);
        if (!MessageDigest.isEqual(expected, ping.digest)) {
            fail(ctx, pong(false, "shared_key mismatch", new byte[0], new byte[0]),
                    "shared_key mismatch (client " + new String(ping.hostname, StandardCharsets.UTF_8) + ")");
            return;
        }
        if (users != null && !userHolds(ping)) {
            fail(ctx, pong(false, "username/password mismatch", new byte[0], new byte[0]),
                    "username/password mismatch (user '" + printable(ping.username) + "', client "
                    + new String(ping.hostname, StandardCharsets.UTF_8) + ")");
            return;
        }
        byte[] host = serverHostname.getBytes(StandardCharsets.UTF_8);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(pong(true, "", host, hexDigest(ping.salt, host, nonce, sharedKey))));
        // done: what follows is Forward protocol, handed on by ByteToMessageDecoder on removal
        ctx.pipeline().remove(this);
    }

    /** Whether the PING names a configured user with the digest of that user's password. */
    private boolean userHolds(Ping ping) {
        byte[] password = users.get(new String(ping.username, StandardCharsets.UTF_8));
        // a digest is computed for an unknown name too, so the answer takes as long either way
        byte[] expected = hexDigest(authSalt, ping.username, password != null ? password : new byte[0], new byte[0]);
        return MessageDigest.isEqual(expected, ping.passwordDigest) && password != null;
    }

    /** A user name from the wire for a log line: at most 64 characters, controls replaced. */
    private static String printable(byte[] name) {
        String s = new String(name, 0, Math.min(name.length, 64), StandardCharsets.UTF_8);
        return s.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    private void fail(ChannelHandlerContext ctx, byte[] answer, String why) {
        failed = true;
        counters.error(AUTH_FAILED);
        String note = FAILURE_LOG.admit();
        if (note != null) {
            LOG.info("Fluent Forward handshake with {} failed: {}; closing the connection{}", ctx.channel().remoteAddress(),
                    why, note);
        }
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(answer != null ? Unpooled.wrappedBuffer(answer) : Unpooled.EMPTY_BUFFER)
                .addListener(ChannelFutureListener.CLOSE);
    }

    private byte[] helo() {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(2).packString("HELO");
            p.packMapHeader(3);
            p.packString("nonce").packRawStringHeader(nonce.length).writePayload(nonce);
            p.packString("auth").packRawStringHeader(authSalt.length).writePayload(authSalt);
            p.packString("keepalive").packBoolean(true);
            p.flush();
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an in-memory packer does not fail
        }
    }

    private static byte[] pong(boolean ok, String reason, byte[] hostname, byte[] digest) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(5).packString("PONG").packBoolean(ok).packString(reason);
            p.packRawStringHeader(hostname.length).writePayload(hostname);
            p.packRawStringHeader(digest.length).writePayload(digest);
            p.flush();
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Lowercase hex of SHA-512 over {@code salt + hostname + nonce + key} (for a user: auth salt, user
     * name, password and nothing), as ASCII bytes.
     */
    static byte[] hexDigest(byte[] salt, byte[] hostname, byte[] nonce, byte[] key) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-512");
            md.update(salt);
            md.update(hostname);
            md.update(nonce);
            md.update(key);
            return HexFormat.of().formatHex(md.digest()).getBytes(StandardCharsets.US_ASCII);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 is part of every JDK", e);
        }
    }

    /** The fields of a PING that matter here; {@link #problem} says what is wrong with it, if anything. */
    private record Ping(String type, byte[] hostname, byte[] salt, byte[] digest, byte[] username,
                        byte[] passwordDigest, int fields) {

        /** The PING at the reader index, consumed; null (nothing consumed) if it is not all there yet. */
        static Ping read(ByteBuf in) throws IOException {
            int start = in.readerIndex();
            try (MessageUnpacker u = MessagePack.newDefaultUnpacker(in.nioBuffer())) {
                MessageFormat f = u.getNextFormat();
                if (f.getValueType() != ValueType.ARRAY) {
                    throw new IllegalArgumentException("a msgpack " + f.getValueType().name().toLowerCase(java.util.Locale.ROOT)
                            + " instead of an array");
                }
                int n = u.unpackArrayHeader();
                if (n < 4 || n > 6) {
                    throw new IllegalArgumentException("an array of " + n + " elements");
                }
                String type = new String(raw(u), StandardCharsets.UTF_8);
                byte[] hostname = raw(u);
                byte[] salt = raw(u);
                byte[] digest = raw(u);
                byte[] username = n > 4 ? raw(u) : new byte[0];
                byte[] passwordDigest = n > 5 ? raw(u) : new byte[0];
                in.readerIndex(start + (int) u.getTotalReadBytes());
                return new Ping(type, hostname, salt, digest, username, passwordDigest, n);
            } catch (MessageInsufficientBufferException e) {
                in.readerIndex(start);
                return null;
            }
        }

        /** A str or bin field of at most {@link #MAX_FIELD_BYTES} bytes, as its raw bytes. */
        private static byte[] raw(MessageUnpacker u) throws IOException {
            MessageFormat f = u.getNextFormat();
            int len;
            if (f.getValueType() == ValueType.STRING) {
                len = u.unpackRawStringHeader();
            } else if (f.getValueType() == ValueType.BINARY) {
                len = u.unpackBinaryHeader();
            } else {
                throw new IllegalArgumentException("a msgpack " + f.getValueType().name().toLowerCase(java.util.Locale.ROOT)
                        + " where a string belongs");
            }
            if (len > MAX_FIELD_BYTES) {
                throw new IllegalArgumentException("a string of " + len + " bytes");
            }
            return u.readPayload(len);
        }

        String problem() {
            if (!"PING".equals(type)) {
                return "a " + type + " message instead of PING (is the client configured without the shared key?)";
            }
            if (fields != 6) {
                return "a PING of " + fields + " fields instead of 6";
            }
            return null;
        }
    }
}
