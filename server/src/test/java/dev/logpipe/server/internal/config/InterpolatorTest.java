package dev.logpipe.server.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class InterpolatorTest {

    private final Interpolator interp = Interpolator.of(Map.of("PORT", "6000", "EMPTY", "", "DIR", "/var/lib/logpipe"));

    @Test
    void replacesSetVariables() {
        assertEquals("6000", interp.interpolate("${PORT}"));
        assertEquals("/var/lib/logpipe/journal", interp.interpolate("${DIR}/journal"));
        assertEquals("a6000b6000", interp.interpolate("a${PORT}b${PORT}"));
    }

    @Test
    void defaultAppliesWhenUnsetOrEmptyLikeAShell() {
        assertEquals("5140", interp.interpolate("${NOPE:-5140}"));
        assertEquals("x", interp.interpolate("${EMPTY:-x}"));
        assertEquals("6000", interp.interpolate("${PORT:-5140}"));
        assertEquals("", interp.interpolate("${NOPE:-}"));
    }

    @Test
    void unsetVariableWithoutDefaultNamesTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> interp.interpolate("${LOGPIPE_NOPE}"));
        assertEquals("environment variable LOGPIPE_NOPE is not set; set it, or write ${LOGPIPE_NOPE:-default}", e.getMessage());
    }

    @Test
    void dollarDollarIsALiteralDollarAndLoneDollarsStay() {
        assertEquals("${PORT}", interp.interpolate("$${PORT}"));
        assertEquals("cost $5", interp.interpolate("cost $5"));
        assertEquals("end$", interp.interpolate("end$"));
    }

    @Test
    void unclosedOrInvalidReferenceIsAnError() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> interp.interpolate("${PORT"))
                .getMessage().contains("not closed"));
        assertThrows(IllegalArgumentException.class, () -> interp.interpolate("${1X}"));
    }
}
