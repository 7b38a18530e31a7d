package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.WatchReceiver;
import dev.logpipe.runtime.TaskRuntime;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The child process of {@link CrashTest}: appends records of run {@code args[1]} to journal
 * {@code args[0]} as fast as it can and prints every durable watermark ("DURABLE index") to stdout,
 * until it is killed (or a bound of 60 s / 5 million records is hit).
 */
public final class CrashWriterMain {

    private CrashWriterMain() {
    }

    static LogRecord record(int run, long n) {
        return LogRecord.builder().service("crash").message("run " + run + " record " + n)
                .field("run", Integer.toString(run)).field("n", Long.toString(n)).build();
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int run = Integer.parseInt(args[1]);
        TaskRuntime runtime = TaskRuntime.builder().workerThreads(1).maxBlockingThreads(2).threadNamePrefix("child").build();
        FileSink sink = FileSink.builder(dir).runtime(runtime).rollCycle(RollCycle.MINUTELY)
                .syncInterval(Duration.ofMillis(5)).batchSize(256).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(4096);
        sink.start(ch.receiver());
        WatchReceiver<Long> wm = sink.durableWatermark();
        Thread printer = new Thread(() -> {
            try {
                while (true) {
                    wm.blockingChanged();
                    long v = wm.borrowAndUpdate();
                    System.out.println("DURABLE " + v);
                    System.out.flush();
                }
            } catch (Exception e) {
                // channel closed or interrupted: the writer stopped
            }
        }, "durable-printer");
        printer.setDaemon(true);
        printer.start();
        System.out.println("STARTED " + sink.writtenIndex());
        System.out.flush();
        MpscSender<AppendRequest> tx = ch.sender();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (long n = 0; n < 5_000_000 && System.nanoTime() < deadline; n++) {
            if (!tx.blockingSend(AppendRequest.of(record(run, n))).isSent()) {
                break;
            }
        }
        tx.close();
        sink.close();
        runtime.shutdown(Duration.ofSeconds(5));
    }
}
