package dev.logpipe.collector.internal.server;

import dev.logpipe.collector.ListenerConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds the server {@link SslContext} of a listener from its PEM files.
 *
 * <p>Threading: stateless; the context it returns is thread-safe and shared by the listener's
 * connections.
 */
final class TlsContexts {

    private TlsContexts() {
    }

    /** The listener's TLS context, or null when it has no TLS. */
    static SslContext forListener(ListenerConfig cfg) throws IOException {
        if (!cfg.tlsEnabled()) {
            return null;
        }
        requireReadable(cfg.tlsCertChain(), "TLS certificate");
        requireReadable(cfg.tlsPrivateKey(), "TLS private key");
        try {
            SslContextBuilder b = SslContextBuilder.forServer(cfg.tlsCertChain().toFile(), cfg.tlsPrivateKey().toFile());
            if (cfg.tlsTrustedClientCerts() != null) {
                requireReadable(cfg.tlsTrustedClientCerts(), "trusted client certificates");
                b.trustManager(cfg.tlsTrustedClientCerts().toFile()).clientAuth(ClientAuth.REQUIRE);
            }
            return b.build();
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("cannot set up TLS from " + cfg.tlsCertChain() + " and " + cfg.tlsPrivateKey()
                    + ": " + e.getMessage() + "; give a PEM certificate chain and an unencrypted PKCS#8 PEM key", e);
        }
    }

    private static void requireReadable(Path p, String what) throws IOException {
        if (!Files.isReadable(p)) {
            throw new IOException(what + " file " + p + " is missing or unreadable; check the path");
        }
    }
}
