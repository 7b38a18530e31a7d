package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;
import dev.logpipe.filesink.SourceFormat;
import java.util.ArrayList;
import java.util.List;

/** An observer that records every call as a short string, in order ("decoded JSON 12", "rejected invalid_json"). */
final class RecordingObserver implements IngestObserver {

    final List<String> events = new ArrayList<>();

    @Override
    public synchronized void frameDecoded(SourceFormat format, int frameBytes) {
        events.add("decoded " + format + " " + frameBytes);
    }

    @Override
    public synchronized void frameRejected(RejectReason reason) {
        events.add("rejected " + reason.label());
    }

    @Override
    public synchronized void frameTruncated(SourceFormat format) {
        events.add("truncated " + format);
    }

    /** The labels of the rejections, in order. */
    synchronized List<String> rejections() {
        return events.stream().filter(e -> e.startsWith("rejected ")).map(e -> e.substring(9)).toList();
    }

    synchronized long count(String prefix) {
        return events.stream().filter(e -> e.startsWith(prefix)).count();
    }
}
