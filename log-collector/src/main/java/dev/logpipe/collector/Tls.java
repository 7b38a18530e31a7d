package dev.logpipe.collector;

import dev.logpipe.collector.internal.server.TlsContexts;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.nio.file.Path;

/**
 * TLS files as the listeners and the {@code logpipe send} client read them: PEM certificate chains
 * and unencrypted PKCS#8 PEM keys.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class Tls {

    private Tls() {
    }

    /**
     * Checks a listener's TLS files as starting the listener would (readable, parseable, key
     * matching the certificate), without starting anything: for a command that must refuse bad
     * settings before it creates a journal directory.
     *
     * @param trustedClientCerts the CA file client certificates must chain to, or null
     * @throws IOException naming the file that is missing, unreadable or does not match
     */
    public static void checkServerFiles(Path certChain, Path privateKey, Path trustedClientCerts) throws IOException {
        TlsContexts.checkServerFiles(certChain, privateKey, trustedClientCerts);
    }

    /**
     * A client context for a blocking {@link javax.net.ssl.SSLSocket}: trusts the PEM CA file
     * {@code trustedCa} (or the JDK's default trust store when null) and presents the client
     * certificate {@code cert} with {@code key} when both are given.
     *
     * @throws IOException naming the file that is missing, unreadable or does not parse
     */
    public static SSLContext clientContext(Path trustedCa, Path cert, Path key) throws IOException {
        return TlsContexts.forClient(trustedCa, cert, key);
    }
}
