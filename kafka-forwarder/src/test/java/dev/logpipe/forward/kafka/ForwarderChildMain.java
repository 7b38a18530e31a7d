package dev.logpipe.forward.kafka;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A forwarder in a child JVM, for the crash tests: args {@code DIR BOOTSTRAP TOPIC MODE}. Prints
 * {@code STARTED}, then {@code COMMITTED <index>} whenever the committed position moves; SIGTERM
 * closes it and it prints {@code CLOSED <index>}.
 */
public final class ForwarderChildMain {

    private ForwarderChildMain() {
    }

    public static void main(String[] args) throws Exception {
        KafkaForwarder f = KafkaForwarder.builder(Path.of(args[0]), args[1], args[2]).node("child")
                .mode(DeliveryMode.valueOf(args[3])).maxTransactionRecords(50).maxTransactionTime(Duration.ofMillis(20))
                .maxInFlightRecords(200).kafkaTimeout(Duration.ofSeconds(5))
                .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(500)).start();
        // SIGTERM: close (finish or abort the open transaction) and exit 0, as the logpipe command does
        java.util.concurrent.CountDownLatch term = new java.util.concurrent.CountDownLatch(1);
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), sig -> term.countDown());
        System.out.println("STARTED");
        System.out.flush();
        long last = Long.MIN_VALUE;
        while (true) {
            long c = f.metrics().lastCommittedIndex();
            if (c != last) {
                last = c;
                System.out.println("COMMITTED " + c);
                System.out.flush();
            }
            if (term.await(5, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                f.close();
                System.out.println("CLOSED " + f.metrics().lastCommittedIndex() + " " + f.state());
                System.out.flush();
                System.exit(0);
            }
        }
    }
}
