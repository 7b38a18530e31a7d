package dev.logpipe.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates for TLS tests, made by the JDK's {@code keytool} (in a child process) and written
 * out as PEM files, as an operator would give them: a server certificate for 127.0.0.1 and
 * localhost, a client certificate, and an unrelated key that matches neither.
 *
 * <p>Threading: immutable once made.
 */
public final class TestCertificates {

    public static final char[] PASSWORD = "changeit".toCharArray();

    public final KeyStore serverStore;
    public final KeyStore clientStore;
    public final Path serverCert;
    public final Path serverKey;
    public final Path clientCert;
    public final Path clientKey;
    /** A private key that belongs to no certificate here. */
    public final Path strayKey;

    private TestCertificates(Path dir) throws Exception {
        // three keytool processes at once: each is a JVM start
        Process server = keytool(dir, "server", "CN=localhost", "SAN=ip:127.0.0.1,dns:localhost");
        Process client = keytool(dir, "client", "CN=logpipe-test-client", null);
        Process strayProc = keytool(dir, "stray", "CN=stray", null);
        serverStore = load(dir, "server", server);
        clientStore = load(dir, "client", client);
        KeyStore stray = load(dir, "stray", strayProc);
        serverCert = writePem(dir.resolve("server.crt"), "CERTIFICATE", serverStore.getCertificate("server").getEncoded());
        serverKey = writePem(dir.resolve("server.key"), "PRIVATE KEY",
                ((PrivateKey) serverStore.getKey("server", PASSWORD)).getEncoded());
        clientCert = writePem(dir.resolve("client.crt"), "CERTIFICATE", clientStore.getCertificate("client").getEncoded());
        clientKey = writePem(dir.resolve("client.key"), "PRIVATE KEY",
                ((PrivateKey) clientStore.getKey("client", PASSWORD)).getEncoded());
        strayKey = writePem(dir.resolve("stray.key"), "PRIVATE KEY", ((PrivateKey) stray.getKey("stray", PASSWORD)).getEncoded());
    }

    /** Makes the certificates and their PEM files in {@code dir}. */
    public static TestCertificates make(Path dir) throws Exception {
        return new TestCertificates(dir);
    }

    private static Process keytool(Path dir, String alias, String dname, String ext) throws IOException {
        Path store = dir.resolve(alias + ".p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        List<String> cmd = new ArrayList<>(List.of(keytool, "-genkeypair", "-alias", alias,
                "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2", "-dname", dname,
                "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)));
        if (ext != null) {
            cmd.add("-ext");
            cmd.add(ext);
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static KeyStore load(Path dir, String alias, Process proc) throws Exception {
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(60, TimeUnit.SECONDS), "keytool finished");
        assertEquals(0, proc.exitValue(), "keytool failed: " + out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve(alias + ".p12"))) {
            ks.load(in, PASSWORD);
        }
        return ks;
    }

    private static Path writePem(Path file, String type, byte[] der) throws IOException {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        Files.writeString(file, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n");
        return file;
    }
}
