package dev.logpipe.collector.cli;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code logpipe send}: ships lines from a file or stdin to a logpipe server over TCP, one record
 * per line. JSON and text lines go as they are; syslog wraps each line into an RFC 5424 message,
 * framed by octet counting or LF (RFC 6587).
 *
 * <p>It waits, after sending, for the server to close the connection (up to {@code --wait}), so
 * that when it exits the server has read every line; it does not wait for them to be durable.
 *
 * <p>Threading: confined to the thread that executes the command.
 */
@Command(name = "send",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        showDefaultValues = true,
        header = "Send lines from a file or stdin to a logpipe server, one record per line.",
        description = {"",
                "json and text lines are sent as they are (blank lines are skipped);",
                "syslog wraps each line into an RFC 5424 message with the facility,",
                "severity and app name given. Waits for the server to read everything.",
                ""},
        footerHeading = "%nExamples:%n",
        footer = {"  echo '{\"level\":\"INFO\",\"service\":\"demo\",\"msg\":\"hello\"}' | logpipe send",
                "  logpipe send --format text /var/log/app.log",
                "  logger-style: echo 'disk full' | logpipe send --format syslog --severity err --app-name backup"})
public final class SendCommand implements Callable<Integer> {

    /** Wire formats this command can send. */
    enum Format { json, syslog, text }

    /** Syslog framings of RFC 6587. */
    enum Framing { octet, lf }

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

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "5s",
            description = "after sending, how long to wait for the server to read everything and close")
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
        int pri = syslogFacility(facility) * 8 + syslogSeverity(severity);
        java.time.Duration wait = Durations.parse(waitText, "--wait");
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
            return sendRelp(in, pri, localHost, pid, wait);
        }
        long sent = 0;
        long bytes = 0;
        try (in; Socket socket = connect()) {
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
            String line;
            try {
                while ((line = reader.readLine()) != null) {
                    if (line.isBlank()) {
                        continue;
                    }
                    byte[] frame = switch (format) {
                        case json, text -> (line + "\n").getBytes(StandardCharsets.UTF_8);
                        case syslog -> syslogFrame(pri, localHost, pid, line);
                    };
                    out.write(frame);
                    sent++;
                    bytes += frame.length;
                }
                out.flush();
                // Half-close, then wait for the server to close: once it has, it has read every byte.
                socket.shutdownOutput();
            } catch (IOException e) {
                throw CliException.failure("connection to " + target() + " broke after " + sent + " records: "
                        + e.getMessage() + "; the server may have stopped or refused the data (see its log)");
            }
            boolean confirmed = awaitServerClose(socket, wait);
            if (!quiet) {
                spec.commandLine().getErr().println("sent " + sent + " record" + (sent == 1 ? "" : "s") + " (" + bytes
                        + " bytes) to " + target() + (confirmed ? "" : "; the server did not close the connection within "
                        + waitText + ", so not every line may have been read"));
            }
        }
        return 0;
    }

    /** Sends every line as an RFC 5424 message over RELP; fails unless each was acknowledged. */
    private int sendRelp(InputStream in, int pri, String localHost, long pid, java.time.Duration wait) throws IOException {
        long sent = 0;
        long acked;
        try (in; Socket socket = connect(); RelpClient relp = RelpClient.open(socket, 1024, wait)) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
            for (String line; (line = reader.readLine()) != null; ) {
                if (!line.isBlank()) {
                    relp.send(syslogMessage(pri, localHost, pid, line));
                    sent++;
                }
            }
            acked = relp.finish();
        } catch (IOException e) {
            throw CliException.failure("RELP to " + target() + " failed after " + sent + " line(s) sent: " + e.getMessage()
                    + "; lines not acknowledged may not be stored: send them again");
        }
        if (!quiet) {
            spec.commandLine().getErr().println("sent " + sent + " record" + (sent == 1 ? "" : "s") + " to " + target()
                    + " over RELP; " + acked + " acknowledged as stored");
        }
        return 0;
    }

    private Socket connect() {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(InetAddress.getByName(host), port), 10_000);
            s.setTcpNoDelay(false);
            return s;
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
            throw CliException.failure("cannot connect to " + target() + ": " + e.getMessage() + "; check --host/--port");
        }
    }

    private static boolean awaitServerClose(Socket socket, java.time.Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        byte[] sink = new byte[512];
        try (InputStream in = socket.getInputStream()) {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
                if (in.read(sink) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset after reading our FIN: the server is gone, having read what it read
        }
    }

    private String target() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private byte[] syslogMessage(int pri, String localHost, long pid, String line) {
        // RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG
        String msg = "<" + pri + ">1 " + Instant.now().truncatedTo(ChronoUnit.MICROS) + " " + nil(localHost) + " "
                + nil(appName) + " " + pid + " - - " + line;
        return msg.getBytes(StandardCharsets.UTF_8);
    }

    private byte[] syslogFrame(int pri, String localHost, long pid, String line) {
        byte[] body = syslogMessage(pri, localHost, pid, line);
        if (framing == Framing.lf) {
            byte[] f = new byte[body.length + 1];
            System.arraycopy(body, 0, f, 0, body.length);
            f[body.length] = '\n';
            return f;
        }
        byte[] prefix = (body.length + " ").getBytes(StandardCharsets.US_ASCII);
        byte[] f = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, f, 0, prefix.length);
        System.arraycopy(body, 0, f, prefix.length, body.length);
        return f;
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
}
