package dev.logpipe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class StatsCommandTest {

    /** Every form of --admin a user may write leads to the one /stats URL (never /stats/stats). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            http://127.0.0.1:5180              | http://127.0.0.1:5180/stats
            http://127.0.0.1:5180/             | http://127.0.0.1:5180/stats
            http://127.0.0.1:5180/stats        | http://127.0.0.1:5180/stats
            http://127.0.0.1:5180/stats/       | http://127.0.0.1:5180/stats
            http://127.0.0.1:5180/metrics      | http://127.0.0.1:5180/stats
            http://127.0.0.1:5180/ready        | http://127.0.0.1:5180/stats
            127.0.0.1:5180                     | http://127.0.0.1:5180/stats
            localhost:5180/stats               | http://localhost:5180/stats
            [::1]:5180                         | http://[::1]:5180/stats
            HTTP://example.com:8080            | http://example.com:8080/stats
            http://proxy.example.com/logpipe/  | http://proxy.example.com/logpipe/stats
            http://proxy.example.com/logpipe/stats | http://proxy.example.com/logpipe/stats
            """)
    void adminUrlWithOrWithoutThePath(String given, String expected) {
        assertEquals(URI.create(expected), StatsCommand.statsUri(given));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://127.0.0.1:5180", "http://", "not a url", "http://h:5180/stats?x=1",
            "127.0.0.1", "127.0.0.1:99999", "http://127.0.0.1:70000/stats"})
    void whatIsNotAnHttpAddressIsRefused(String given) {
        assertNull(StatsCommand.statsUri(given));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://127.0.0.1:5180", "not a url"})
    void refusedAddressIsAUsageError(String given) {
        CliRun r = CliRun.run("stats", "--admin", given);
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe stats: '" + given + "' is not an admin address; pass --admin http://HOST:PORT (or HOST:PORT,"
                + " or the full http://HOST:PORT/stats)\n", r.err());
    }

    @org.junit.jupiter.api.Test
    void adminAndAdminPortTogetherAreAUsageError() {
        CliRun r = CliRun.run("stats", "--admin", "127.0.0.1:5180", "--admin-port", "5181");
        assertEquals(2, r.code(), r.toString());
        assertEquals("logpipe stats: --admin and --admin-port do not go together; give only one of them\n", r.err());
        CliRun bad = CliRun.run("stats", "--admin-port", "70000");
        assertEquals(2, bad.code(), bad.toString());
        assertEquals("logpipe stats: --admin-port 70000 is not a port; give 1-65535\n", bad.err());
    }
}
