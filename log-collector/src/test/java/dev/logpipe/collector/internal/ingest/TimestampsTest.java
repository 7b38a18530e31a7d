package dev.logpipe.collector.internal.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimestampsTest {

    private static long nanos(String instant) {
        Instant i = Instant.parse(instant);
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private static long parse(String s) {
        return Timestamps.parseDateTime(s, 0, s.length(), false);
    }

    @Test
    void rfc3339WithZuluAndFractionsOfEveryLength() {
        assertEquals(nanos("2003-10-11T22:14:15Z"), parse("2003-10-11T22:14:15Z"));
        assertEquals(nanos("2003-10-11T22:14:15.003Z"), parse("2003-10-11T22:14:15.003Z"));
        assertEquals(nanos("2003-10-11T22:14:15.000003Z"), parse("2003-10-11T22:14:15.000003Z"));
        assertEquals(nanos("2003-10-11T22:14:15.123456789Z"), parse("2003-10-11T22:14:15.123456789Z"));
        assertEquals(nanos("2003-10-11T22:14:15.5Z"), parse("2003-10-11t22:14:15,5z"));
        // digits past the nanosecond are dropped, not rounded
        assertEquals(nanos("2003-10-11T22:14:15.123456789Z"), parse("2003-10-11T22:14:15.1234567899Z"));
    }

    @Test
    void offsetsInEveryForm() {
        long expected = nanos("2003-08-24T12:14:15.000003Z");
        assertEquals(expected, parse("2003-08-24T05:14:15.000003-07:00"));
        assertEquals(expected, parse("2003-08-24T05:14:15.000003-0700"));
        assertEquals(expected, parse("2003-08-24T05:14:15.000003-07"));
        assertEquals(nanos("2024-01-01T23:30:00Z"), parse("2024-01-02 01:00:00+01:30"));
    }

    @Test
    void noOffsetMeansUtcAndBareDateIsMidnight() {
        assertEquals(nanos("2024-05-06T07:08:09Z"), parse("2024-05-06T07:08:09"));
        assertEquals(nanos("2024-05-06T00:00:00Z"), parse("2024-05-06"));
        assertEquals(Timestamps.NONE, Timestamps.parseDateTime("2024-05-06", 0, 10, true));
    }

    @Test
    void leapSecondIsTheNextSecondsStart() {
        assertEquals(nanos("2017-01-01T00:00:00Z"), parse("2016-12-31T23:59:60Z"));
    }

    @Test
    void rejectsWhatIsNotADateTime() {
        for (String bad : new String[] {"banana", "", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
            "2024-01-01T24:00:00Z", "2024-01-01T00:00:00+25:00", "2024-01-01T00:00:00.Z", "2024-01-01T00:00",
            "2024-01-01T00:00:00Zjunk", "2024-01-01X00:00:00Z", "9999-01-01T00:00:00Z", "2024-01-01T00:00:00+"}) {
            assertEquals(Timestamps.NONE, parse(bad), bad);
        }
    }

    @Test
    void parsesOnlyTheGivenRange() {
        String s = "x 2024-01-01T00:00:00Z y";
        assertEquals(nanos("2024-01-01T00:00:00Z"), Timestamps.parseDateTime(s, 2, 22, true));
        String cut = "2024-01-01T00:00:00+01:00";
        assertEquals(Timestamps.NONE, Timestamps.parseDateTime(cut, 0, cut.length() - 4, true), "offset cut short");
    }

    @Test
    void epochNumbersByMagnitude() {
        long t = nanos("2023-11-14T22:13:20Z"); // 1_700_000_000 s
        assertEquals(t, Timestamps.fromEpoch(1_700_000_000L));
        assertEquals(t + 123_000_000L, Timestamps.fromEpoch(1_700_000_000_123L));
        assertEquals(t + 123_456_000L, Timestamps.fromEpoch(1_700_000_000_123_456L));
        assertEquals(t + 123_456_789L, Timestamps.fromEpoch(1_700_000_000_123_456_789L));
        assertEquals(t + 123_456_789L, Timestamps.fromEpoch(new BigDecimal("1700000000.123456789")));
        assertEquals(t + 500_000L, Timestamps.fromEpoch(new BigDecimal("1700000000000.5")));
        assertEquals(t, Timestamps.fromEpoch(new BigDecimal("1.7e9")));
        assertEquals(t + 250_000_000L, Timestamps.fromEpochText("1700000000.25"));
        assertEquals(Timestamps.NONE, Timestamps.fromEpochText("17e99999"));
        assertEquals(Timestamps.NONE, Timestamps.fromEpochText("12ab"));
        assertEquals(Timestamps.NONE, Timestamps.fromEpoch(new BigDecimal("1e40")));
        assertEquals(Timestamps.NONE, Timestamps.fromEpoch(Long.MIN_VALUE));
    }
}
