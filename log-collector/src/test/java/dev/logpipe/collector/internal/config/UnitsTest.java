package dev.logpipe.collector.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnitsTest {

    @Test
    void parsesDurationsInEveryUnit() {
        assertEquals(Duration.ofMillis(100), Units.parseDuration("100ms"));
        assertEquals(Duration.ofSeconds(10), Units.parseDuration("10s"));
        assertEquals(Duration.ofMinutes(5), Units.parseDuration("5m"));
        assertEquals(Duration.ofHours(2), Units.parseDuration("2h"));
        assertEquals(Duration.ofDays(7), Units.parseDuration("7d"));
        assertEquals(Duration.ofDays(14), Units.parseDuration("2w"));
        assertEquals(Duration.ofNanos(1500), Units.parseDuration("1.5us"));
        assertEquals(Duration.ofMinutes(90), Units.parseDuration("1h30m"));
        assertEquals(Duration.ZERO, Units.parseDuration("0"));
        assertEquals(Duration.ofMillis(1500), Units.parseDuration("1.5s"));
    }

    @Test
    void rejectsDurationsWithoutAUnitOrWithGarbage() {
        for (String bad : new String[] {"10", "fast", "", "10 parsecs", "5m!", "-5s"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseDuration(bad), bad);
            assertTrue(e.getMessage().contains("use e.g. 100ms"), e.getMessage());
        }
    }

    @Test
    void parsesSizesWithDecimalAndBinaryUnits() {
        assertEquals(512, Units.parseSize("512"));
        assertEquals(512, Units.parseSize("512B"));
        assertEquals(1_000, Units.parseSize("1KB"));
        assertEquals(1 << 20, Units.parseSize("1MiB"));
        assertEquals(10_000_000_000L, Units.parseSize("10GB"));
        assertEquals(3L << 30, Units.parseSize("3gib"));
        assertEquals(1536, Units.parseSize("1.5KiB"));
    }

    @Test
    void rejectsBareLetterSizeUnitsBecauseTheyCollideWithMinutes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseSize("10M"));
        assertTrue(e.getMessage().contains("unknown size unit 'm'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Units.parseSize("big"));
    }

    @Test
    void formatsForPeople() {
        assertEquals("100ms", Units.formatDuration(Duration.ofMillis(100)));
        assertEquals("1h30m", Units.formatDuration(Duration.ofMinutes(90)));
        assertEquals("7d", Units.formatDuration(Duration.ofDays(7)));
        assertEquals("1MiB", Units.formatBytes(1 << 20));
        assertEquals("1.5KiB", Units.formatBytes(1536));
        assertEquals("17B", Units.formatBytes(17));
    }

    @Test
    void syncPolicyReadsBatchNeverAndIntervals() {
        assertEquals(SyncPolicy.Kind.BATCH, SyncPolicy.parse("batch").kind());
        assertEquals(SyncPolicy.Kind.NEVER, SyncPolicy.parse("NEVER").kind());
        assertEquals(SyncPolicy.every(Duration.ofMillis(250)), SyncPolicy.parse("250ms"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SyncPolicy.parse("often"));
        assertTrue(e.getMessage().contains("batch, or never"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SyncPolicy.parse("0s"));
    }

    @Test
    void retentionTakesAgeSizeOrBothInAnyOrder() {
        assertEquals(new Retention(Duration.ofDays(7), null), Retention.parse(List.of("7d")));
        assertEquals(new Retention(null, 10_000_000_000L), Retention.parse(List.of("10GB")));
        assertEquals(new Retention(Duration.ofDays(7), 10_000_000_000L), Retention.parse(List.of("10GB,7d")));
        assertEquals(new Retention(Duration.ofDays(7), 10_000_000_000L), Retention.parse(List.of("7d", "10GB")));
        assertEquals(Retention.FOREVER, Retention.parse(List.of("forever")));
        assertEquals("7d,1GiB", new Retention(Duration.ofDays(7), 1L << 30).toString());
    }

    @Test
    void retentionRefusesTwoAgesOrNonsense() {
        assertThrows(IllegalArgumentException.class, () -> Retention.parse(List.of("7d,3d")));
        assertThrows(IllegalArgumentException.class, () -> Retention.parse(List.of("1GB", "2GB")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Retention.parse(List.of("a week")));
        assertTrue(e.getMessage().contains("7d,10GB"), e.getMessage());
    }
}
