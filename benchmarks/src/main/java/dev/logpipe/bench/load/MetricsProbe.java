package dev.logpipe.bench.load;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Reads one counter from a Prometheus text endpoint (logpipe's admin {@code /metrics}): the sum
 * of every series of that metric name, whatever its labels.
 *
 * <p>Threading: confined to the thread that polls.
 */
final class MetricsProbe {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final HttpRequest request;
    private final String metric;
    private final double scale;

    MetricsProbe(String url, String metric) {
        this(url, metric, 1);
    }

    /** Reads {@code metric} multiplied by {@code scale} (e.g. seconds as microseconds). */
    MetricsProbe(String url, String metric, double scale) {
        // ask for the one metric (the Prometheus client's name[] filter): a poll every 20 ms should cost
        // the server as little as it can
        String only = url.contains("?") ? url : url + "?name%5B%5D=" + URLEncoder.encode(metric, StandardCharsets.UTF_8);
        this.request = HttpRequest.newBuilder(URI.create(only)).timeout(Duration.ofSeconds(5)).GET().build();
        this.metric = metric;
        this.scale = scale;
    }

    /** The metric's current value; throws if the endpoint is down or does not export it. */
    long read() throws IOException, InterruptedException {
        HttpResponse<String> resp = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != 200) {
            throw new IOException(request.uri() + " answered HTTP " + resp.statusCode());
        }
        return scale == 1 ? parse(resp.body(), metric) : (long) (parse(resp.body(), metric, scale));
    }

    static long parse(String body, String metric) throws IOException {
        return (long) parse(body, metric, 1);
    }

    private static double parse(String body, String metric, double scale) throws IOException {
        double sum = 0;
        boolean found = false;
        int pos = 0;
        while (pos < body.length()) {
            int eol = body.indexOf('\n', pos);
            if (eol < 0) {
                eol = body.length();
            }
            if (body.startsWith(metric, pos) && eol > pos + metric.length()) {
                char next = body.charAt(pos + metric.length());
                if (next == ' ' || next == '{') {
                    int valueStart = next == '{' ? body.indexOf("} ", pos) + 2 : pos + metric.length() + 1;
                    String[] parts = body.substring(valueStart, eol).trim().split(" ");
                    sum += Double.parseDouble(parts[0]);
                    found = true;
                }
            }
            pos = eol + 1;
        }
        if (!found) {
            throw new IOException("metric " + metric + " not found at the endpoint; pass --metric with one of its"
                    + " logpipe_ counters (curl the /metrics URL to see them)");
        }
        return sum * scale;
    }
}
