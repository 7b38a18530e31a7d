package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;

/**
 * Prints how fast the decoders turn bytes into records on one thread, per format (a program, not a
 * test; surefire does not run it). Run after {@code mvn -pl log-collector test-compile} with the test
 * class path, e.g. {@code java -cp target/test-classes:target/classes:$(cat cp.txt)
 * dev.logpipe.collector.internal.ingest.DecodeThroughput}.
 */
public final class DecodeThroughput {

    private DecodeThroughput() {
    }

    public static void main(String[] args) {
        int lines = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        run("JSON", WireFormat.JSON, "{\"ts\":\"2024-03-10T11:59:58.123456Z\",\"level\":\"info\",\"service\":\"billing\","
                + "\"msg\":\"card declined for customer\",\"customer\":\"c-42\",\"attempt\":3,\"ctx\":{\"a\":1}}\n", lines);
        StringBuilder wide = new StringBuilder("{\"ts\":\"2024-03-10T11:59:58.123Z\",\"level\":\"info\",\"msg\":\"request\"");
        for (int i = 0; i < 40; i++) {
            wide.append(",\"attr_").append(i).append("\":").append(i % 2 == 0 ? "\"v" + i + "\"" : Integer.toString(i));
        }
        run("JSON 40 flat", WireFormat.JSON, wide.append("}\n").toString(), lines);
        run("SYSLOG 5424", WireFormat.SYSLOG, "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
                + "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] An application event log entry\n", lines);
        run("SYSLOG 3164", WireFormat.SYSLOG, "<30>Mar 10 11:59:58 web1 sshd[1234]: Accepted publickey for bob from "
                + "10.0.0.1 port 5555\n", lines);
        run("TEXT", WireFormat.TEXT, "2024-03-10 11:59:58 INFO billing card declined for customer c-42 attempt 3\n", lines);
        trickle();
    }

    /** A client that sends a 1 MiB line 16 bytes per read: the decoder must not rescan the line per read. */
    private static void trickle() {
        EmbeddedChannel ch = new EmbeddedChannel();
        IngestDecoders.install(ch.pipeline(), IngestDecoderConfig.defaults().withFormat(WireFormat.TEXT),
                IngestObserver.NOOP, System::nanoTime, ZoneOffset.UTC);
        byte[] piece = "abcdefghijklmno ".getBytes(StandardCharsets.US_ASCII);
        int pieces = (1 << 20) / piece.length;
        long start = System.nanoTime();
        for (int i = 0; i < pieces; i++) {
            ch.writeInbound(Unpooled.directBuffer(piece.length).writeBytes(piece));
        }
        ch.writeInbound(Unpooled.directBuffer(1).writeByte('\n'));
        long nanos = System.nanoTime() - start;
        Object record = ch.readInbound();
        ch.finishAndReleaseAll();
        System.out.printf("trickle      1 MiB line in %,d reads of %d bytes: %,.0f ms (record: %s)%n", pieces,
                piece.length, nanos / 1e6, record != null);
    }

    private static void run(String name, WireFormat format, String line, int lines) {
        byte[] one = line.getBytes(StandardCharsets.UTF_8);
        int perChunk = Math.max(1, 64 * 1024 / one.length);
        byte[] chunk = new byte[perChunk * one.length];
        for (int i = 0; i < perChunk; i++) {
            System.arraycopy(one, 0, chunk, i * one.length, one.length);
        }
        for (int round = 0; round < 3; round++) { // the first rounds warm the JIT up
            long[] count = {0};
            EmbeddedChannel ch = new EmbeddedChannel();
            IngestDecoders.install(ch.pipeline(), IngestDecoderConfig.defaults().withFormat(format),
                    IngestObserver.NOOP, System::nanoTime, ZoneOffset.UTC);
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    count[0]++;
                }
            });
            long start = System.nanoTime();
            long bytes = 0;
            while (count[0] < lines) {
                ByteBuf b = Unpooled.directBuffer(chunk.length).writeBytes(chunk);
                bytes += chunk.length;
                ch.writeInbound(b);
            }
            long nanos = System.nanoTime() - start;
            ch.finishAndReleaseAll();
            if (round == 2) {
                System.out.printf("%-12s %,10.0f records/s  %6.1f MB/s  (%d-byte lines, %,d records)%n", name,
                        count[0] * 1e9 / nanos, bytes * 1e3 / nanos, one.length, count[0]);
            }
        }
    }
}
