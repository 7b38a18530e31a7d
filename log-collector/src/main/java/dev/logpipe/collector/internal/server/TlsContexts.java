package dev.logpipe.collector.internal.server;

import dev.logpipe.collector.ListenerConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;

/**
 * Builds TLS contexts from PEM files: the server context of a listener, and the client context of
 * {@code logpipe send}. Both check at once that the private key belongs to the certificate, so a
 * mismatched pair fails at start, naming both files, instead of failing every handshake later.
 *
 * <p>Threading: stateless; the contexts it returns are thread-safe.
 */
public final class TlsContexts {

    private TlsContexts() {
    }

    /** The listener's TLS context, or null when it has no TLS. */
    static SslContext forListener(ListenerConfig cfg) throws IOException {
        if (!cfg.tlsEnabled()) {
            return null;
        }
        requireReadable(cfg.tlsCertChain(), "TLS certificate");
        requireReadable(cfg.tlsPrivateKey(), "TLS private key");
        checkKeyPair(cfg.tlsCertChain(), cfg.tlsPrivateKey());
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

    /**
     * Checks the TLS files of a listener as {@link #forListener} would, without building anything
     * else: for a command that must refuse bad settings before it creates a journal directory.
     *
     * @throws IOException naming the file that is missing, unreadable or does not match
     */
    public static void checkServerFiles(Path certChain, Path privateKey, Path trustedClientCerts) throws IOException {
        ListenerConfig.Builder b = ListenerConfig.builder().tls(certChain, privateKey);
        if (trustedClientCerts != null) {
            b.tlsTrustedClientCerts(trustedClientCerts);
        }
        forListener(b.build());
    }

    /**
     * A client context for a blocking {@link javax.net.ssl.SSLSocket}: trusts the PEM CA file
     * {@code trustedCa} (or the JDK's default trust store when null) and presents the client
     * certificate {@code cert} with {@code key} when both are given.
     */
    public static SSLContext forClient(Path trustedCa, Path cert, Path key) throws IOException {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK);
        if (trustedCa != null) {
            requireReadable(trustedCa, "TLS CA");
            b.trustManager(trustedCa.toFile());
        }
        if (cert != null) {
            requireReadable(cert, "TLS client certificate");
            requireReadable(key, "TLS client key");
            checkKeyPair(cert, key);
            b.keyManager(cert.toFile(), key.toFile());
        }
        try {
            return ((JdkSslContext) b.build()).context();
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage()
                    + "; give PEM files (an unencrypted PKCS#8 PEM key)", e);
        }
    }

    /**
     * Checks that {@code keyFile} holds the private key of the first certificate in
     * {@code certFile}: signs random bytes with the key and verifies them with the certificate's
     * public key.
     */
    static void checkKeyPair(Path certFile, Path keyFile) throws IOException {
        X509Certificate cert;
        PrivateKey key;
        try {
            X509Certificate[] chain = PemFiles.certificates(certFile);
            if (chain.length == 0) {
                throw new IOException("no certificate in " + certFile);
            }
            cert = chain[0];
            key = PemFiles.privateKey(keyFile);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new IOException("cannot read TLS certificate " + certFile + " and key " + keyFile + ": " + e.getMessage()
                    + "; give a PEM certificate chain and an unencrypted PKCS#8 PEM key", e);
        }
        PublicKey pub = cert.getPublicKey();
        String algorithm = signatureAlgorithm(key.getAlgorithm());
        if (algorithm == null) {
            return; // a key type we cannot test here; the handshake will tell
        }
        boolean matches;
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(pub);
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false; // e.g. an RSA key with an EC certificate
        }
        if (!matches) {
            throw new IOException("TLS key " + keyFile + " does not belong to certificate " + certFile
                    + " (" + cert.getSubjectX500Principal().getName() + "); give the key the certificate was issued for");
        }
    }

    private static String signatureAlgorithm(String keyAlgorithm) {
        return switch (keyAlgorithm) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            case "Ed25519", "Ed448", "EdDSA" -> keyAlgorithm;
            default -> null;
        };
    }

    private static void requireReadable(Path p, String what) throws IOException {
        if (!Files.isReadable(p)) {
            throw new IOException(what + " file " + p + " is missing or unreadable; check the path");
        }
    }

    /**
     * Reaches Netty's own PEM readers (protected statics of {@link SslContext}) rather than
     * parsing PEM here, so the check reads the files exactly as the context builder does.
     */
    private abstract static class PemFiles extends SslContext {
        private PemFiles() {
        }

        static X509Certificate[] certificates(Path file) throws GeneralSecurityException {
            return toX509Certificates(file.toFile());
        }

        static PrivateKey privateKey(Path file) throws GeneralSecurityException, IOException {
            return toPrivateKey(file.toFile(), null);
        }
    }
}
