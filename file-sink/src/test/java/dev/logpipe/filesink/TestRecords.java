package dev.logpipe.filesink;

/** Test records with a recognisable message. */
final class TestRecords {

    private TestRecords() {
    }

    static LogRecord record(long n) {
        return LogRecord.builder()
                .receiveTimeNanos(1_700_000_000_000_000_000L + n * 1_000)
                .eventTimeNanos(1_700_000_000_000_000_000L + n * 1_000 - 7)
                .level(Level.INFO).host("host-" + (n % 3)).service("svc").source("test")
                .message("record " + n).field("n", Long.toString(n)).build();
    }

    static long numberOf(LogRecord r) {
        return Long.parseLong(r.fields().get("n").text());
    }
}
