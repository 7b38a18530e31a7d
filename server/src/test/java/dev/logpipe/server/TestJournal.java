package dev.logpipe.server;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.FileSink;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.runtime.TaskRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Test fixture: a real journal written with file-sink's writer, open for appending until closed. */
final class TestJournal implements AutoCloseable {

    private final TaskRuntime runtime;
    private final FileSink sink;
    private final Mpsc.Channel<AppendRequest> channel = Mpsc.bounded(256);

    TestJournal(Path dir) {
        runtime = TaskRuntime.builder().workerThreads(1).threadNamePrefix("test-journal").build();
        sink = FileSink.builder(dir).runtime(runtime).syncInterval(Duration.ofMillis(20)).build();
        sink.start(channel.receiver());
    }

    /** Appends the records and waits until the last one is written; returns its index. */
    long append(LogRecord... records) throws Exception {
        AppendRequest last = null;
        for (LogRecord r : records) {
            last = AppendRequest.withReceipt(r);
            channel.sender().blockingSend(last);
        }
        return last == null ? -1 : last.written().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        channel.sender().close();
        sink.close();
        runtime.shutdown(Duration.ofSeconds(5));
    }
}
