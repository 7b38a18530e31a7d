package dev.logpipe.it.support;

import dev.logpipe.testsupport.Conditions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code logpipe serve} child process on free loopback ports ({@code --port 0 --admin-port 0}),
 * with its startup block parsed for the ports it bound and its {@code /metrics} readable.
 *
 * <p>Threading: confined to the test thread, except {@link #metrics()} which any thread may call.
 */
public final class ServeProcess implements AutoCloseable {

    private static final Pattern LISTEN = Pattern.compile("listen\\s+tcp://[^\\s]*:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("admin\\s+http://[^\\s]*:(\\d+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final Path out;
    private final Path err;
    private final int port;
    private final int adminPort;

    private ServeProcess(Process process, Path out, Path err, int port, int adminPort) {
        this.process = process;
        this.out = out;
        this.err = err;
        this.port = port;
        this.adminPort = adminPort;
    }

    /**
     * Starts {@code logpipe serve --data DATA --port 0 --admin-port 0 <extra>} in a child JVM with
     * {@code jvmArgs} (e.g. {@code -Xmx128m}) and waits (up to 60 s) for it to say it is ready.
     * Its output goes to files in {@code logDir}, named with {@code tag}.
     */
    public static ServeProcess start(Path data, Path logDir, String tag, List<String> jvmArgs, String... extra)
            throws IOException {
        Files.createDirectories(logDir);
        Path out = logDir.resolve(tag + ".out");
        Path err = logDir.resolve(tag + ".err");
        List<String> args = new ArrayList<>(List.of("serve", "--data", data.toString(), "--port", "0", "--admin-port", "0"));
        args.addAll(List.of(extra));
        Process p = ChildJvm.start(out, err, jvmArgs, args);
        int[] ports = new int[2];
        try {
            Conditions.await(Duration.ofSeconds(60), "logpipe serve to print 'ready'", () -> {
                if (!p.isAlive()) {
                    throw new AssertionError("logpipe serve exited with " + p.exitValue() + " before it was ready; stdout: "
                            + ChildJvm.read(out) + "; stderr: " + ChildJvm.abbreviate(ChildJvm.read(err)));
                }
                String text = ChildJvm.read(out);
                if (!text.contains("\nready")) {
                    return false;
                }
                Matcher l = LISTEN.matcher(text);
                Matcher a = ADMIN.matcher(text);
                if (!l.find() || !a.find()) {
                    throw new AssertionError("cannot find the listen and admin ports in serve's startup block:\n" + text);
                }
                ports[0] = Integer.parseInt(l.group(1));
                ports[1] = Integer.parseInt(a.group(1));
                return true;
            }, () -> "stdout: " + ChildJvm.read(out) + "; stderr: " + ChildJvm.abbreviate(ChildJvm.read(err)));
        } catch (RuntimeException | Error e) {
            p.destroyForcibly();
            throw e;
        }
        return new ServeProcess(p, out, err, ports[0], ports[1]);
    }

    /** The TCP ingest port. */
    public int port() {
        return port;
    }

    /** The admin HTTP port. */
    public int adminPort() {
        return adminPort;
    }

    /** The child's process id. */
    public long pid() {
        return process.pid();
    }

    /** Whether the child is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** What the child printed on stdout so far. */
    public String stdout() {
        return ChildJvm.read(out);
    }

    /** What the child printed on stderr so far. */
    public String stderr() {
        return ChildJvm.read(err);
    }

    /** Both outputs, for assertion messages. */
    public String output() {
        return "--- serve stdout:\n" + ChildJvm.abbreviate(stdout()) + "\n--- serve stderr:\n" + ChildJvm.abbreviate(stderr());
    }

    /** GET {@code path} on the admin server; returns status and body. */
    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The Prometheus samples of {@code /metrics}, keyed by {@code name} or {@code name{labels}} as
     * printed (e.g. {@code logpipe_rejected_records_total{reason="invalid_json"}}).
     */
    public Map<String, Double> metrics() {
        try {
            HttpResponse<String> r = get("/metrics");
            if (r.statusCode() != 200) {
                throw new AssertionError("/metrics answered " + r.statusCode() + ": " + r.body());
            }
            return parseMetrics(r.body());
        } catch (IOException e) {
            throw new AssertionError("cannot read /metrics of serve (pid " + pid() + "): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** One sample of {@code /metrics}, 0 if absent. */
    public long metric(String key) {
        return metrics().getOrDefault(key, 0.0).longValue();
    }

    /** Parses Prometheus text exposition into samples. */
    public static Map<String, Double> parseMetrics(String body) {
        Map<String, Double> m = new HashMap<>();
        for (String line : body.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int sp = line.lastIndexOf(' ');
            if (sp <= 0) {
                continue;
            }
            String key = line.substring(0, sp).trim();
            String value = line.substring(sp + 1).trim();
            // a timestamp may follow the value
            int sp2 = key.lastIndexOf(' ');
            if (sp2 > 0 && !key.endsWith("}")) {
                value = key.substring(sp2 + 1);
                key = key.substring(0, sp2);
            }
            try {
                m.put(key, Double.parseDouble(value));
            } catch (NumberFormatException e) {
                // not a sample line
            }
        }
        return m;
    }

    /** Sends SIGTERM ({@link Process#destroy()}). */
    public void sigterm() {
        process.destroy();
    }

    /** Sends SIGKILL ({@link Process#destroyForcibly()}) and waits for the child to be gone. */
    public void sigkill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("serve (pid " + pid() + ") still alive 30 s after SIGKILL");
        }
    }

    /** Waits for the child to exit and returns its exit code; fails if it takes longer than {@code timeout}. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("serve (pid " + pid() + ") did not exit within " + timeout + "\n" + output());
        }
        return process.exitValue();
    }

    /** Anonymous resident memory of the child in KiB (RssAnon from /proc), or -1 if not readable. */
    public long rssAnonKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                if (line.startsWith("RssAnon:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Kills the child if it is still running. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
