package dev.logpipe.server.internal.config;

import dev.logpipe.filesink.SyncPolicy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UnitsTest {

    /** Every duration the README shows, and the other units, each exactly. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            100ms   | PT0.1S
            10s     | PT10S
            5m      | PT5M
            2h      | PT2H
            7d      | PT168H
            1w      | PT168H
            1h30m   | PT1H30M
            30s     | PT30S
            1ms     | PT0.001S
            1.5s    | PT1.5S
            1.5us   | PT0.0000015S
            250ns   | PT0.00000025S
            0       | PT0S
            0s      | PT0S
            2w3d    | PT408H
            ' 10m ' | PT10M
            10 m    | PT10M
            """)
    void parsesDurations(String text, String iso) {
        assertEquals(Duration.parse(iso), Units.parseDuration(text));
    }

    /** Every size the README shows, and the other units, each exactly. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            512      | 512
            512B     | 512
            64KiB    | 65536
            1MiB     | 1048576
            64MiB    | 67108864
            10GB     | 10000000000
            1KB      | 1000
            1MB      | 1000000
            1TB      | 1000000000000
            3GiB     | 3221225472
            2TiB     | 2199023255552
            1.5KiB   | 1536
            0.5MB    | 500000
            10 GB    | 10000000000
            9223372036854775807 | 9223372036854775807
            """)
    void parsesSizes(String text, long bytes) {
        assertEquals(bytes, Units.parseSize(text));
    }

    /** What a duration refuses, and the part of the message that says what to write instead. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            1M     | '1M' is ambiguous: write 1m for minutes (a capital M could mean megabytes)
            10M    | write 10m for minutes
            5S     | '5S': duration units are lower-case; write 5s
            2H     | write 2h
            7D     | write 7d
            100MS  | write 100ms
            10MB   | '10MB' is a size, not a duration
            10mb   | is a size, not a duration
            1G     | is a size, not a duration
            10     | '10' has no unit; use e.g. 100ms
            fast   | 'fast' is not a duration; use e.g. 100ms
            -5s    | is not a duration
            5m!    | unknown duration unit 'm!'
            10 parsecs | unknown duration unit 'parsecs'
            1.5ns  | is not a whole number of nanoseconds
            99999999999w | too long a duration
            """)
    void refusesDurationsSayingWhatToWrite(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseDuration(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void refusesAnEmptyDuration() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseDuration(""));
        assertTrue(e.getMessage().contains("use e.g. 100ms"), e.getMessage());
    }

    /** What a size refuses: lone letters, other cases, durations; the message says what to write. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            10M    | '10M' is ambiguous; write 10MB (powers of 1000) or 10MiB (powers of 1024)
            10m    | '10m' is minutes, not a size; write 10MB or 10MiB
            64K    | write 64KB (powers of 1000) or 64KiB
            64k    | write 64KB (powers of 1000) or 64KiB
            1G     | write 1GB (powers of 1000) or 1GiB
            1g     | write 1GB (powers of 1000) or 1GiB
            2T     | write 2TB (powers of 1000) or 2TiB
            10mb   | '10mb': size units are case-sensitive; write 10MB
            10Mb   | write 10MB
            3gib   | write 3GiB
            1MIB   | write 1MiB
            512b   | write 512B
            7d     | '7d' is a duration, not a size
            5s     | is a duration, not a size
            big    | 'big' is not a size
            10 parsecs | unknown size unit 'parsecs'
            1.3B   | is not a whole number of bytes
            9999999TiB | too large a size
            """)
    void refusesSizesSayingWhatToWrite(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseSize(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    /**
     * Exact arithmetic at the edges: fractions that binary floating point cannot hold (0.3, 1.1), integers
     * above 2^53, the largest values, and refusals of overflow, signs and garbage.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            1.5GiB             | 1610612736
            1.1KB              | 1100
            0.3MB              | 300000
            0.000001MB         | 1
            9007199254740993   | 9007199254740993
            9007199254740993B  | 9007199254740993
            8388607.9999999999990905052982270717620849609375TiB | 9223372036854775807
            """)
    void parsesSizesExactlyAtTheEdges(String text, long bytes) {
        assertEquals(bytes, Units.parseSize(text));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            0.001s                        | 1000000
            0.3s                          | 300000000
            1.1s                          | 1100000000
            0.000000001s                  | 1
            2.5m                          | 150000000000
            0.1h0.1m                      | 366000000000
            106751d23h47m16s854775807ns   | 9223372036854775807
            """)
    void parsesDurationsExactlyAtTheEdges(String text, long nanos) {
        assertEquals(Duration.ofNanos(nanos), Units.parseDuration(text));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            9223372036854775808         | too large a size
            8388608TiB                  | too large a size
            -1MiB                       | is not a size
            +1MiB                       | is not a size
            1.5                         | is not a whole number of bytes
            1.2.3KiB                    | is not a size
            1e3B                        | is not a size
            0x10                        | is not a size
            NaN                         | is not a size
            1,5KiB                      | is not a size
            .5KiB                       | is not a size
            '١٠B'             | is not a size
            """)
    void refusesSizeOverflowSignsAndGarbage(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseSize(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            106751d23h47m16s854775808ns | too long a duration
            9223372036854775808ns       | too long a duration
            -0.5s                       | is not a duration
            +5s                         | is not a duration
            0.0000000001s               | is not a whole number of nanoseconds
            1.2.3s                      | is not a duration
            1.s                         | is not a duration
            .5s                         | is not a duration
            Infinity                    | is not a duration
            '١٠s'             | is not a duration
            """)
    void refusesDurationOverflowSignsAndGarbage(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseDuration(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    /** Values that may be either an age or a size are told apart by their unit alone, never guessed. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            7d     | DURATION
            10m    | DURATION
            1h30m  | DURATION
            2w     | DURATION
            10GB   | SIZE
            10MB   | SIZE
            10MiB  | SIZE
            512B   | SIZE
            """)
    void kindOfIsTheUnitsKind(String text, Units.Kind kind) {
        assertEquals(kind, Units.kindOf(text));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            10M    | '10M' is ambiguous; write 10m for minutes, or 10MB or 10MiB for a size
            10K    | '10K' is ambiguous; write 10KB or 10KiB for a size
            10g    | write 10GB or 10GiB for a size
            1000   | '1000' has no unit; write 1000d (or another duration unit) for an age, 1000B, 1000GB or 1000GiB for a size
            10mb   | size units are case-sensitive; write 10MB
            7D     | duration units are lower-case; write 7d
            """)
    void kindOfRefusesWhatCouldBeEither(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.kindOf(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void formatsMeasuredValuesForPeople() {
        assertEquals("100ms", Units.formatDuration(Duration.ofMillis(100)));
        assertEquals("1h30m", Units.formatDuration(Duration.ofMinutes(90)));
        assertEquals("7d", Units.formatDuration(Duration.ofDays(7)));
        assertEquals("1MiB", Units.formatBytes(1 << 20));
        assertEquals("1.5KiB", Units.formatBytes(1536));
        assertEquals("17B", Units.formatBytes(17));
    }

    @Test
    void syncPolicyReadsBatchNeverAndIntervals() {
        assertEquals(SyncPolicy.Kind.BATCH, SyncPolicies.parse("batch").kind());
        assertEquals(SyncPolicy.Kind.NEVER, SyncPolicies.parse("NEVER").kind());
        assertEquals(SyncPolicy.every(Duration.ofMillis(250)), SyncPolicies.parse("250ms"));
        assertEquals(SyncPolicy.every(Duration.ofMinutes(1)), SyncPolicies.parse("1m"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SyncPolicies.parse("often"));
        assertTrue(e.getMessage().contains("batch, or never"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SyncPolicies.parse("0s"));
        e = assertThrows(IllegalArgumentException.class, () -> SyncPolicies.parse("1M"));
        assertTrue(e.getMessage().contains("write 1m for minutes"), e.getMessage());
    }

    @Test
    void retentionTakesAgeSizeOrBothInAnyOrder() {
        assertEquals(new Retention(Duration.ofDays(7), null), Retention.parse(List.of("7d")));
        assertEquals(new Retention(null, 10_000_000_000L), Retention.parse(List.of("10GB")));
        assertEquals(new Retention(null, 10_000_000L), Retention.parse(List.of("10MB")));
        assertEquals(new Retention(Duration.ofMinutes(10), null), Retention.parse(List.of("10m")));
        assertEquals(new Retention(Duration.ofDays(7), 10_000_000_000L), Retention.parse(List.of("10GB,7d")));
        assertEquals(new Retention(Duration.ofDays(7), 10_000_000_000L), Retention.parse(List.of("7d", "10GB")));
        assertEquals(Retention.FOREVER, Retention.parse(List.of("forever")));
    }

    /** The case of the issue: 10M must never become ten minutes of retention (or ten megabytes by a guess). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            10M      | '10M' is ambiguous; write 10m for minutes, or 10MB or 10MiB for a size
            7d,10M   | '10M' is ambiguous
            10G      | '10G' is ambiguous; write 10GB or 10GiB for a size
            100      | '100' has no unit
            10gb     | write 10GB
            7D       | write 7d
            7d,3d    | retention has two ages (7d, 3d); give one
            1GB,2GB  | retention has two sizes (1GB, 2GB); give one
            a week   | 'a week' is not a retention; use an age such as 7d, a size such as 10GB, or both: 7d,10GB
            7d,forever | retention 'forever' cannot be combined with limits
            ','        | retention is empty; use an age such as 7d
            ' ,'       | retention is empty
            """)
    void retentionRefusesWhatItWouldHaveToGuess(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Retention.parse(List.of(text)));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
