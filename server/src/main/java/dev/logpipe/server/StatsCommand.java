package dev.logpipe.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logpipe.server.internal.config.Units;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code logpipe stats}: reads a running server's {@code /stats} admin endpoint and prints the key
 * numbers in a few readable lines (or the JSON as it is, with {@code --json}).
 *
 * <p>Threading: confined to the thread that executes the command.
 */
@Command(name = "stats",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        showDefaultValues = true,
        header = "Print a running server's key numbers: received, stored, durable, latency (or a forwarder's).",
        description = {"", "Reads the admin endpoint of 'logpipe serve' or 'logpipe forward kafka'",
                "(/stats; Prometheus reads /metrics).", ""})
public final class StatsCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--admin", paramLabel = "URL", defaultValue = "http://127.0.0.1:5180",
            description = "admin endpoint of the server (serve's --admin-bind and --admin-port): http://HOST:PORT,"
                    + " HOST:PORT or http://HOST:PORT/stats")
    String admin;

    @Option(names = "--admin-port", paramLabel = "PORT",
            description = "the admin port of a server on this machine, as given to serve's --admin-port"
                    + " (short for --admin 127.0.0.1:PORT)")
    Integer adminPort;

    @Option(names = "--json", description = "print the server's JSON as it is")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
        if (adminPort != null) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--admin")) {
                throw CliException.usage("--admin and --admin-port do not go together; give only one of them");
            }
            if (adminPort < 1 || adminPort > 65535) {
                throw CliException.usage("--admin-port " + adminPort + " is not a port; give 1-65535");
            }
            admin = "http://127.0.0.1:" + adminPort;
        }
        URI statsUri = statsUri(admin);
        if (statsUri == null) {
            throw CliException.usage("'" + admin + "' is not an admin address; pass --admin http://HOST:PORT (or HOST:PORT,"
                    + " or the full http://HOST:PORT/stats)");
        }
        String body = fetch(statsUri);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.print(body);
            out.flush();
            return 0;
        }
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (IOException e) {
            throw CliException.failure(statsUri + " did not answer JSON; is this a logpipe admin endpoint?");
        }
        render(n, out);
        out.flush();
        return 0;
    }

    /**
     * The {@code /stats} URL for what was given to {@code --admin}: {@code http://HOST:PORT},
     * with or without a trailing {@code /} or the {@code /stats} path, or {@code HOST:PORT}; another
     * admin path ({@code /metrics}, {@code /ready}, {@code /health}) is taken as its server's, and
     * any other path as a prefix (a reverse proxy's). Null when it is not an http address.
     */
    static URI statsUri(String admin) {
        String text = admin.trim();
        boolean bare = !text.contains("://");
        if (bare) {
            text = "http://" + text;
        }
        URI u;
        try {
            u = new URI(text);
        } catch (URISyntaxException e) {
            return null;
        }
        // HOST alone needs its port (it would mean 80, not serve's 5180); an http:// URL may omit it (a proxy's)
        if (!"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null || u.getPort() == 0 || u.getPort() > 65535
                || (bare && u.getPort() < 0) || u.getQuery() != null) {
            return null;
        }
        String path = u.getPath() == null ? "" : u.getPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        for (String own : new String[] {"/stats", "/metrics", "/ready", "/health"}) {
            if (path.endsWith(own)) {
                path = path.substring(0, path.length() - own.length());
                break;
            }
        }
        try {
            return new URI("http", null, u.getHost(), u.getPort(), path + "/stats", null, null);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private String fetch(URI uri) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw CliException.failure(uri + " answered HTTP " + r.statusCode() + "; is this a logpipe admin endpoint?");
            }
            return r.body();
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw CliException.failure("cannot reach the admin endpoint at " + admin
                    + ": connection refused; is `logpipe serve` running? pass --admin URL");
        } catch (IOException e) {
            throw CliException.failure("cannot read " + uri + ": " + e.getMessage() + "; check --admin");
        }
    }

    /** Prints the stats in aligned lines: a server's, or a forwarder's ({@code logpipe forward kafka --admin-port}). */
    static void render(JsonNode n, PrintWriter out) {
        if (n.has("forwarder")) {
            renderForwarder(n, out);
            return;
        }
        out.printf(Locale.ROOT, "logpipe  %s, up %s%n", n.path("ready").asBoolean() ? "ready" : "NOT READY",
                Units.formatDuration(Duration.ofSeconds(n.path("uptime_seconds").asLong())));
        long received = sum(n.path("received_records"));
        out.printf(Locale.ROOT, "  %-14s %,14d records  %s%s%n", "received", received,
                Units.formatBytes(sum(n.path("received_bytes"))), breakdown(n.path("received_records")));
        out.printf(Locale.ROOT, "  %-14s %,14d          %s%n", "rejected", sum(n.path("rejected_records")),
                breakdown(n.path("rejected_records")).trim());
        out.printf(Locale.ROOT, "  %-14s %,14d%s%n", "written", n.path("written_records").asLong(),
                n.path("lost_records").asLong() > 0
                        ? String.format(Locale.ROOT, "          LOST (accepted, never written): %,d%s",
                                n.path("lost_records").asLong(), breakdown(n.path("lost_records_by_reason")))
                        : "");
        out.printf(Locale.ROOT, "  %-14s %,14d          (connections, channel, writer)%n", "in flight",
                n.path("in_flight_records").asLong());
        out.printf(Locale.ROOT, "  %-14s %,14d          at risk (written, not yet durable): %,d%n", "durable",
                n.path("durable_records").asLong(), n.path("records_at_risk").asLong());
        out.printf(Locale.ROOT, "  %-14s %,14d / %,d records%n", "channel", n.path("channel_records").asLong(),
                n.path("channel_capacity_records").asLong());
        out.printf(Locale.ROOT, "  %-14s %,14d active   refused %,d   backpressure pauses %,d%n", "connections",
                n.path("connections_active").asLong(), n.path("connections_refused").asLong(),
                n.path("backpressure_pauses").asLong());
        JsonNode last = n.path("last_sync_seconds");
        out.printf(Locale.ROOT, "  %-14s %,14d          last took %s%n", "syncs", n.path("syncs").asLong(),
                last.isNumber() ? millis(last.asDouble()) : "-");
        JsonNode lat = n.path("send_to_durable_seconds");
        if (lat.path("count").asLong() > 0) {
            out.printf(Locale.ROOT, "  %-14s p50 %s   p99 %s   p99.9 %s   max %s   (%,d batches)%n", "send→durable",
                    millis(lat.path("p50").asDouble()), millis(lat.path("p99").asDouble()),
                    millis(lat.path("p999").asDouble()), millis(lat.path("max").asDouble()), lat.path("count").asLong());
        } else {
            out.printf(Locale.ROOT, "  %-14s (nothing durable yet)%n", "send→durable");
        }
        JsonNode acks = n.path("acks");
        if (acks.isObject()) {
            JsonNode p50 = acks.path("latency_p50_max_seconds");
            JsonNode p99 = acks.path("latency_p99_max_seconds");
            out.printf(Locale.ROOT, "  %-14s %,14d sent     pending %,d   refused %,d   latency p50 %s p99 %s%s%n", "acks",
                    acks.path("sent").asLong(), acks.path("pending").asLong(), acks.path("failed").asLong(),
                    p50.isNumber() ? "≤" + millis(p50.asDouble()) : "-", p99.isNumber() ? "≤" + millis(p99.asDouble()) : "-",
                    breakdown(acks.path("received")));
            if (sum(acks.path("protocol_errors")) > 0) {
                out.printf(Locale.ROOT, "  %-14s %,14d          %s%n", "ack errors", sum(acks.path("protocol_errors")),
                        breakdown(acks.path("protocol_errors")).trim());
            }
        }
        JsonNode otlp = n.path("otlp");
        if (otlp.isObject()) {
            out.printf(Locale.ROOT, "  %-14s %,14d records  rejected %,d   in flight %,d   answers%s%n", "otlp",
                    otlp.path("records").asLong(), otlp.path("rejected_records").asLong(),
                    otlp.path("requests_in_flight").asLong(), breakdown(otlp.path("responses")));
        }
        out.printf(Locale.ROOT, "  %-14s %s   retention deleted %,d segments   writer errors %,d%n", "journal",
                n.path("segment").asText("").isEmpty() ? "-" : "segment " + n.path("segment").asText(),
                n.path("retention_deleted_segments").asLong(), n.path("sink_errors").asLong());
        String journal = n.path("journal").asText("");
        if (!journal.isEmpty()) {
            out.printf(Locale.ROOT, "  %-14s %s   paused %,d times, %s in all%n", "journal state",
                    journal.equals("paused") ? "PAUSED: its file system is short of space; records wait, senders are"
                            + " slowed; free space and it resumes" : journal,
                    n.path("journal_pauses").asLong(),
                    pausedFor(n.path("journal_paused_seconds").asDouble()));
        }
    }

    /** Milliseconds under 10 s, whole seconds above: {@code 624ms}, {@code 2m5s}. */
    /** A forwarder's key numbers: what it forwards where, how far it got, how far behind it is. */
    static void renderForwarder(JsonNode n, PrintWriter out) {
        JsonNode f = n.path("forwarder");
        out.printf(Locale.ROOT, "logpipe forward kafka  %s, %s, up %s%n", f.path("state").asText("?"),
                n.path("ready").asBoolean() ? "ready" : "NOT READY",
                Units.formatDuration(Duration.ofSeconds(n.path("uptime_seconds").asLong())));
        out.printf(Locale.ROOT, "  %-14s %s -> topic %s at %s (%s)%n", "forwarding", f.path("data").asText(),
                f.path("topic").asText(), f.path("bootstrap_servers").asText(), f.path("mode").asText());
        out.printf(Locale.ROOT, "  %-14s %s, transactional id %s%n", "name", f.path("name").asText(),
                f.path("transactional_id").asText());
        out.printf(Locale.ROOT, "  %-14s %,14d records  transactions %,d committed, %,d aborted%n", "forwarded",
                f.path("records_forwarded").asLong(), f.path("transactions_committed").asLong(),
                f.path("transactions_aborted").asLong());
        out.printf(Locale.ROOT, "  %-14s %,14d records  %.3f s behind (oldest record not committed)%n", "lag",
                f.path("lag_records").asLong(), f.path("lag_seconds").asDouble());
        out.printf(Locale.ROOT, "  %-14s %14d%n", "last index", f.path("last_committed_index").asLong());
        out.printf(Locale.ROOT, "  %-14s %,14d          resent %,d records%n", "retries", f.path("retries").asLong(),
                f.path("records_resent").asLong());
        if (!f.path("last_error").isNull() && !f.path("last_error").isMissingNode()) {
            out.printf(Locale.ROOT, "  %-14s %s%n", "last error", f.path("last_error").asText());
        }
    }

    static String pausedFor(double seconds) {
        long ms = Math.round(seconds * 1000);
        return Units.formatDuration(ms < 10_000 ? Duration.ofMillis(ms) : Duration.ofSeconds(ms / 1000));
    }

    private static long sum(JsonNode obj) {
        long s = 0;
        for (JsonNode v : obj) {
            s += v.asLong();
        }
        return s;
    }

    private static String breakdown(JsonNode obj) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, JsonNode> e : obj.properties()) {
            if (e.getValue().asLong() != 0) {
                sb.append(sb.length() == 0 ? "  (" : ", ").append(e.getKey()).append(' ')
                        .append(String.format(Locale.ROOT, "%,d", e.getValue().asLong()));
            }
        }
        return sb.length() == 0 ? "" : sb.append(')').toString();
    }

    private static String millis(double seconds) {
        double ms = seconds * 1000;
        return ms < 10 ? String.format(Locale.ROOT, "%.2fms", ms) : String.format(Locale.ROOT, "%.0fms", ms);
    }
}
