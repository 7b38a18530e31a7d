package dev.logpipe.server;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import dev.logpipe.collector.Tls;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code logpipe send}: ships lines from a file or stdin to a logpipe server over TCP (or TLS),
 * one record per line. JSON and text lines go byte for byte as they are; syslog wraps each line
 * into an RFC 5424 message, framed by octet counting or LF (RFC 6587).
 *
 * <p>After the last line it half-closes the connection and waits (up to {@code --wait}) for the
 * server to close it. A plain TCP listener writes nothing and closes only once it has read to the
 * end of the stream; when it refuses a connection (over {@code --max-connections}) or ends one
 * early ({@code --oversize close}) it resets it. So {@code send} exits 0 only when the server closed
 * cleanly without sending anything; a reset, any bytes from the server (such as a TLS alert from a
 * TLS listener), or no close within {@code --wait} exit 1 with the reason: then it cannot know
 * that every line was read. It does not wait for the lines to be durable.
 *
 * <p>Threading: confined to the thread that executes the command.
 */
@Command(name = "send",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        showDefaultValues = true,
        header = "Send lines from a file or stdin to a logpipe server, one record per line.",
        description = {"",
                "json and text lines are sent byte for byte as they are (blank lines are",
                "skipped); syslog wraps each line into an RFC 5424 message with the facility,",
                "severity and app name given. Waits for the server to read everything, and",
                "exits 1 when it cannot know that the server read every line.",
                ""},
        footerHeading = "%nExamples:%n",
        footer = {"  echo '{\"level\":\"INFO\",\"msg\":\"hello\"}' | logpipe send",
                "  logpipe send --format text /var/log/app.log",
                "  logpipe send --tls --tls-ca ca.pem --host logs.example.com app.log",
                "  echo 'disk full' | logpipe send --format syslog --severity err \\",
                "      --app-name backup"})
public final class SendCommand implements Callable<Integer> {

    /** Wire formats this command can send. */
    enum Format { json, syslog, text }

    /** Syslog framings of RFC 6587. */
    enum Framing { octet, lf }

    /** The options that only mean something with {@code --format syslog}. */
    private static final String[] SYSLOG_OPTIONS = {"--framing", "--facility", "--severity", "--app-name"};

    /** Transports: plain TCP, or RELP with an acknowledgement per line. */
    enum Protocol { tcp, relp }

    @Spec
    CommandSpec spec;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "server address")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "5140", description = "server TCP port")
    int port;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json",
            description = "json, syslog or text")
    Format format;

    @Option(names = "--framing", paramLabel = "FRAMING", defaultValue = "octet",
            description = "syslog framing: octet (counting: LEN SP MSG) or lf (one message per line)")
    Framing framing;

    @Option(names = "--facility", paramLabel = "N|NAME", defaultValue = "user",
            description = "syslog facility: 0-23 or a name (kern, user, daemon, auth, local0..local7, ...)")
    String facility;

    @Option(names = "--severity", paramLabel = "N|NAME", defaultValue = "info",
            description = "syslog severity: 0-7 or emerg, alert, crit, err, warning, notice, info, debug")
    String severity;

    @Option(names = "--app-name", paramLabel = "NAME", defaultValue = "logpipe-send", description = "syslog APP-NAME")
    String appName;

    @Option(names = "--tls", description = "connect with TLS (to a serve started with --tls-cert)")
    boolean tls;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "PEM CA that signed the server's certificate (default: the JDK's trusted CAs); implies --tls")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM client certificate, for a server started with --tls-client-ca (with --tls-key); implies --tls")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key (PKCS#8) for --tls-cert")
    Path tlsKey;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "5s",
            description = "how long to wait for the TLS handshake, and after sending for the server to read everything and close")
    String waitText;

    @Option(names = "--protocol", paramLabel = "PROTOCOL", defaultValue = "tcp",
            description = "tcp, or relp: each line as a syslog message over RELP (to serve --relp-port); "
                    + "exits 0 only when the server acknowledged every line as stored")
    Protocol protocol;

    @Option(names = {"-q", "--quiet"}, description = "print nothing on success")
    boolean quiet;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", defaultValue = "-",
            description = "file to read lines from; - for stdin")
    String file;

    /** Where stdin comes from; tests replace it. */
    InputStream stdin = System.in;

    @Override
    public Integer call() throws IOException {
        if (port < 1 || port > 65535) {
            throw CliException.usage("port " + port + " is out of range; pass --port 1-65535");
        }
        if (format != Format.syslog && protocol != Protocol.relp) {
            for (String o : SYSLOG_OPTIONS) {
                if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
                    throw new ParameterException(spec.commandLine(), o + " applies only to --format syslog"
                            + " (the lines are sent as they are with --format " + format + "); add --format syslog or drop " + o);
                }
            }
        }
        if (!appName.matches("[\\x21-\\x7e]{1,48}")) {
            // RFC 5424 APP-NAME: 1-48 printable US-ASCII characters, no spaces; it used to be changed silently
            throw new ParameterException(spec.commandLine(), "--app-name '" + appName + "' is not a syslog APP-NAME;"
                    + " use 1-48 printable ASCII characters without spaces");
        }
        if (protocol == Protocol.relp) {
            // RELP carries syslog messages: each line becomes an RFC 5424 message's text, whatever it holds
            if (spec.commandLine().getParseResult().hasMatchedOption("--format") && format != Format.syslog) {
                throw new ParameterException(spec.commandLine(), "--protocol relp sends each line as the text of a"
                        + " syslog message, so --format " + format + " would not be sent as " + format + " (a JSON line's"
                        + " level and fields would be stored as plain text); drop --format, or use --protocol tcp for "
                        + format + " lines");
            }
            if (spec.commandLine().getParseResult().hasMatchedOption("--framing")) {
                throw new ParameterException(spec.commandLine(), "--framing does not apply to --protocol relp (RELP"
                        + " frames its messages itself); drop --framing");
            }
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new ParameterException(spec.commandLine(), (tlsCert == null ? "--tls-key" : "--tls-cert")
                    + " needs " + (tlsCert == null ? "--tls-cert" : "--tls-key") + "; a client certificate needs both");
        }
        boolean useTls = tls || tlsCa != null || tlsCert != null;
        int pri = syslogFacility(facility) * 8 + syslogSeverity(severity);
        java.time.Duration wait = Durations.parse(waitText, "--wait");
        if (wait.isZero()) {
            throw new ParameterException(spec.commandLine(), "--wait must be more than 0");
        }
        SSLContext tlsContext = null;
        if (useTls) {
            try {
                tlsContext = Tls.clientContext(tlsCa, tlsCert, tlsKey);
            } catch (IOException e) {
                throw CliException.usage(e.getMessage(), e);
            }
        }
        String localHost = format == Format.syslog || protocol == Protocol.relp ? localHostName() : "";
        long pid = ProcessHandle.current().pid();

        InputStream in;
        if (file.equals("-")) {
            in = stdin;
        } else {
            try {
                in = Files.newInputStream(Path.of(file));
            } catch (NoSuchFileException e) {
                throw CliException.usage("file " + file + " does not exist; pass a file to send, or - for stdin");
            } catch (IOException e) {
                throw CliException.usage("cannot read " + file + ": " + e.getMessage());
            }
        }
        if (protocol == Protocol.relp) {
            return sendRelp(in, pri, localHost, pid, wait, tlsContext);
        }
        long sent = 0;
        long bytes = 0;
        try (in; Socket socket = connect(tlsContext, wait)) {
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            LineReader reader = new LineReader(in);
            try {
                while (reader.next()) {
                    if (reader.isBlank()) {
                        continue;
                    }
                    bytes += switch (format) {
                        case json, text -> {
                            out.write(reader.line(), 0, reader.length());
                            out.write('\n');
                            yield reader.length() + 1;
                        }
                        case syslog -> writeSyslog(out, pri, localHost, pid, reader);
                    };
                    sent++;
                }
            } catch (ReadFailure e) {
                throw CliException.failure("cannot read " + (file.equals("-") ? "stdin" : file) + " after " + plural(sent)
                        + ": " + e.getCause().getMessage() + "; those " + sent + " were sent, the rest not: check the input");
            }
            try {
                out.flush();
                // Half-close, then wait for the server to close: once it has, it has read every byte.
                socket.shutdownOutput();
            } catch (IOException e) {
                throw brokenConnection(sent, e, useTls);
            }
            String problem = awaitServerClose(socket, wait, useTls);
            if (problem != null) {
                throw CliException.failure("sent " + plural(sent) + " to " + target() + ", but " + problem);
            }
            if (!quiet) {
                spec.commandLine().getErr().println("sent " + plural(sent) + " (" + bytes + " bytes) to " + target()
                        + (useTls ? " over TLS" : "") + "; the server read them all");
            }
        } catch (IOException e) {
            throw brokenConnection(sent, e, useTls);
        }
        return 0;
    }

    /** Sends every line as an RFC 5424 message over RELP; fails unless each was acknowledged. */
    private int sendRelp(InputStream in, int pri, String localHost, long pid, java.time.Duration wait, SSLContext tlsContext) {
        long sent = 0;
        long acked;
        try (in; Socket socket = connect(tlsContext, wait); RelpClient relp = RelpClient.open(socket, 1024, wait)) {
            LineReader reader = new LineReader(in);
            try {
                while (reader.next()) {
                    if (!reader.isBlank()) {
                        relp.send(syslogMessage(pri, localHost, pid, reader));
                        sent++;
                    }
                }
            } catch (ReadFailure e) {
                throw CliException.failure("cannot read " + (file.equals("-") ? "stdin" : file) + " after " + plural(sent)
                        + ": " + e.getCause().getMessage() + "; those " + sent + " were sent, the rest not: check the input");
            }
            acked = relp.finish();
        } catch (IOException e) {
            throw CliException.failure("RELP to " + target() + " failed after " + plural(sent) + " sent: " + e.getMessage()
                    + "; lines not acknowledged may not be stored: send them again");
        }
        if (!quiet) {
            spec.commandLine().getErr().println("sent " + plural(sent) + " to " + target()
                    + " over RELP; " + acked + " acknowledged as stored");
        }
        return 0;
    }

    /** One RFC 5424 message around the line's bytes (as they are), unframed. */
    private byte[] syslogMessage(int pri, String localHost, long pid, LineReader line) {
        byte[] header = syslogHeader(pri, localHost, pid);
        byte[] msg = java.util.Arrays.copyOf(header, header.length + line.length());
        System.arraycopy(line.line(), 0, msg, header.length, line.length());
        return msg;
    }

    private byte[] syslogHeader(int pri, String localHost, long pid) {
        return ("<" + pri + ">1 " + Instant.now().truncatedTo(ChronoUnit.MICROS) + " " + nil(localHost) + " "
                + nil(appName) + " " + pid + " - - ").getBytes(StandardCharsets.US_ASCII);
    }

    private static String plural(long n) {
        return n + " record" + (n == 1 ? "" : "s");
    }

    private CliException brokenConnection(long sent, IOException e, boolean socketIsTls) {
        return CliException.failure("the connection to " + target() + " broke after sending " + plural(sent) + " ("
                + e.getMessage() + "): the server refused it (over its --max-connections), closed it before reading"
                + " everything (e.g. a line over its --max-frame with --oversize close)"
                + (socketIsTls ? "" : ", or it is a TLS listener (then pass --tls)")
                + ", so lines may be missing: check the server's log and its rejected and refused counts");
    }

    private Socket connect(SSLContext tlsContext, java.time.Duration wait) {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(InetAddress.getByName(host), port), 10_000);
        } catch (UnknownHostException e) {
            closeQuietly(s);
            throw CliException.usage("unknown host " + host + "; pass --host with a name or address that resolves");
        } catch (ConnectException e) {
            closeQuietly(s);
            throw CliException.failure("cannot connect to " + target() + ": connection refused; is `logpipe serve` running? pass --host/--port");
        } catch (SocketTimeoutException e) {
            closeQuietly(s);
            throw CliException.failure("cannot connect to " + target() + ": timed out; check --host/--port and any firewall");
        } catch (IOException e) {
            closeQuietly(s);
            if (String.valueOf(e.getMessage()).contains("reset")) {
                throw CliException.failure("the server at " + target() + " reset the connection at once (" + e.getMessage()
                        + "): it refuses connections over its --max-connections; nothing was sent; retry later,"
                        + " or raise serve's --max-connections");
            }
            throw CliException.failure("cannot connect to " + target() + ": " + e.getMessage() + "; check --host/--port");
        }
        if (tlsContext == null) {
            return s;
        }
        try {
            SSLSocket ssl = (SSLSocket) tlsContext.getSocketFactory().createSocket(s, host, port, true);
            SSLParameters params = ssl.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name --host
            ssl.setSSLParameters(params);
            ssl.setSoTimeout(timeoutMillis(wait));
            ssl.startHandshake();
            ssl.setSoTimeout(0);
            return ssl;
        } catch (SocketTimeoutException e) {
            closeQuietly(s);
            throw CliException.failure("no TLS handshake with " + target() + " within " + waitText
                    + "; is it a TLS listener (serve --tls-cert)? drop --tls for a plain one");
        } catch (IOException e) {
            closeQuietly(s);
            throw CliException.failure("TLS handshake with " + target() + " failed: " + e.getMessage()
                    + "; check --tls-ca (the CA that signed the server's certificate), that the certificate names --host,"
                    + " and --tls-cert/--tls-key if the server requires a client certificate");
        }
    }

    private static int timeoutMillis(java.time.Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
    }

    /**
     * Waits for the server to close after our half-close. Returns null when it closed cleanly
     * without sending anything (it read to our end of stream), or why it cannot be known that
     * every line was read.
     */
    private String awaitServerClose(Socket socket, java.time.Duration wait, boolean overTls) {
        long deadline = System.nanoTime() + wait.toNanos();
        byte[] buf = new byte[512];
        try {
            InputStream in = socket.getInputStream();
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return timedOut();
                }
                socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
                int n = in.read(buf);
                if (n < 0) {
                    return null;
                }
                if (n > 0) {
                    return overTls || (buf[0] != 0x15 && buf[0] != 0x16)
                            ? "the server answered with data, which a logpipe TCP listener never does; is " + target()
                                    + " a logpipe listener? not every line may have been read"
                            : "the server answered with TLS: the listener at " + target()
                                    + " is a TLS listener and stored nothing; pass --tls (and --tls-ca FILE"
                                    + " unless a public CA signed its certificate)";
                }
            }
        } catch (SocketTimeoutException e) {
            return timedOut();
        } catch (IOException e) {
            return "the server reset the connection (" + e.getMessage() + "): it refused it (over its --max-connections),"
                    + " closed it before reading everything (e.g. a line over its --max-frame with --oversize close),"
                    + (overTls ? "" : " or it is a TLS listener (then pass --tls),")
                    + " so lines may be missing: check the server's log and its rejected and refused counts";
        }
    }

    private String timedOut() {
        return "the server did not close the connection within " + waitText
                + ", so not every line may have been read yet; raise --wait, or check the server (paused by backpressure?)";
    }

    private String target() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * Writes one RFC 5424 message around the line's bytes (as they are):
     * {@code <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID - - LINE}, framed; returns the bytes written.
     */
    private long writeSyslog(OutputStream out, int pri, String localHost, long pid, LineReader line) throws IOException {
        byte[] header = syslogHeader(pri, localHost, pid);
        int bodyLength = header.length + line.length();
        long written = bodyLength;
        if (framing == Framing.octet) {
            byte[] prefix = (bodyLength + " ").getBytes(StandardCharsets.US_ASCII);
            out.write(prefix);
            written += prefix.length;
        }
        out.write(header);
        out.write(line.line(), 0, line.length());
        if (framing == Framing.lf) {
            out.write('\n');
            written++;
        }
        return written;
    }

    private static String nil(String s) {
        // header fields are PRINTUSASCII without spaces, at most 48 chars for APP-NAME, 255 for HOSTNAME
        String t = s == null ? "" : s.replaceAll("[^\\x21-\\x7e]", "");
        return t.isEmpty() ? "-" : t;
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "-";
        }
    }

    static int syslogFacility(String text) {
        String[] names = {"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
            "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
            "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
        return code(text, names, 23, "--facility", "0-23 or a name such as user, daemon, local0");
    }

    static int syslogSeverity(String text) {
        String[] names = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
        String t = text.toLowerCase(java.util.Locale.ROOT);
        if (t.equals("error")) {
            return 3;
        }
        if (t.equals("warn")) {
            return 4;
        }
        return code(t, names, 7, "--severity", "0-7 or emerg, alert, crit, err, warning, notice, info, debug");
    }

    private static int code(String text, String[] names, int max, String flag, String expected) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(t)) {
                return i;
            }
        }
        try {
            int n = Integer.parseInt(t);
            if (n >= 0 && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // fall through to the message
        }
        throw CliException.usage("'" + text + "' is not valid for " + flag + "; use " + expected);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing was sent on it
        }
    }

    /** Reading the input failed (not the connection). */
    private static final class ReadFailure extends RuntimeException {
        ReadFailure(IOException cause) {
            super(cause);
        }
    }

    /**
     * Splits a byte stream into lines at LF, without decoding them: a line's bytes go to the
     * server exactly as read (a trailing CR of CRLF is dropped). Memory grows only with the
     * longest line.
     *
     * <p>Threading: confined.
     */
    static final class LineReader {
        private final InputStream in;
        private final byte[] buf = new byte[1 << 16];
        private int pos;
        private int limit;
        private byte[] line = new byte[256];
        private int length;
        private boolean eof;

        LineReader(InputStream in) {
            this.in = in;
        }

        /** Reads the next line; false at the end of the input. */
        boolean next() {
            length = 0;
            boolean any = false;
            while (true) {
                if (pos == limit) {
                    if (eof || !fill()) {
                        if (length > 0 && line[length - 1] == '\r') {
                            length--;
                        }
                        return any;
                    }
                }
                any = true;
                int start = pos;
                while (pos < limit && buf[pos] != '\n') {
                    pos++;
                }
                append(start, pos - start);
                if (pos < limit) {
                    pos++; // the LF
                    if (length > 0 && line[length - 1] == '\r') {
                        length--;
                    }
                    return true;
                }
            }
        }

        private boolean fill() {
            try {
                int n = in.read(buf);
                if (n < 0) {
                    eof = true;
                    return false;
                }
                pos = 0;
                limit = n;
                return true;
            } catch (IOException e) {
                throw new ReadFailure(e);
            }
        }

        private void append(int from, int n) {
            if (length + n > line.length) {
                line = java.util.Arrays.copyOf(line, Math.max(line.length * 2, length + n));
            }
            System.arraycopy(buf, from, line, length, n);
            length += n;
        }

        byte[] line() {
            return line;
        }

        int length() {
            return length;
        }

        /** Whether the line is empty or only ASCII white space. */
        boolean isBlank() {
            for (int i = 0; i < length; i++) {
                byte b = line[i];
                if (b != ' ' && b != '\t' && b != '\r' && b != 0x0B && b != '\f') {
                    return false;
                }
            }
            return true;
        }
    }
}
