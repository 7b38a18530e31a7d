package dev.logpipe.otlp.internal;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.logpipe.collector.ReceiverBatch;
import dev.logpipe.collector.ReceiverContext;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One OTLP/HTTP connection: reads a {@code POST /v1/logs} request, decodes its body (protobuf or OTLP
 * JSON, gzip or not), offers its records to the pipeline whole, and answers once they are stored
 * (durable or written, by the ack level), in the request's encoding.
 *
 * <p>One request at a time per connection: from the end of a request's body until its answer is
 * written, the connection does not read (a {@code FlowControlHandler} before this one holds what a
 * pipelining client sent meanwhile), so answers go out in order.
 *
 * <p>Answers: 200 ({@code partial_success} with the count and the first reason when records were
 * rejected); 400 undecodable body (not retried by clients); 404 other paths; 405 other methods; 413 a
 * body over the limit, on the wire or inflated (the connection is closed: the rest is not read); 415
 * other content types or encodings; 429 + {@code Retry-After} when the ingest channel is full or too
 * many requests are in flight (nothing of the request was taken); 503 + {@code Retry-After} while
 * shutting down or when the journal could not store a record. Error bodies are a
 * {@code google.rpc.Status} in the request's encoding.
 *
 * <p>Threading: confined to the connection's event loop; the records' receipts complete on logpipe
 * threads and hop back here. One instance per connection. Ownership: every {@code HttpObject} read is
 * released here; a request's body is copied into one heap buffer owned by this handler until decoded.
 */
final class OtlpHttpHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(OtlpHttpHandler.class);
    static final String PATH = "/v1/logs";
    static final String PROTOBUF = "application/x-protobuf";
    static final String JSON = "application/json";
    /** Sent through the pipeline by the server when it starts to drain. */
    static final Object DRAIN = new Object();

    private enum State { IDLE, READING, DISCARDING, WAITING, CLOSED }

    /** What a gzip body counts for in the bytes in flight until it is inflated: this many times its size. */
    static final int GZIP_RATIO = 4;

    /** How long a connection closed before its request was read to the end still reads and drops what arrives. */
    static final long LINGER_MILLIS = 2_000;

    private enum Encoding { PROTOBUF, JSON }

    private final OtlpHttpServer server;
    private final OtlpCounters counters;
    private final long maxBodyBytes;

    private ChannelHandlerContext ctx;
    /** The current request has been read to its end ({@link LastHttpContent}). */
    private boolean requestRead = true;
    private State state = State.IDLE;
    private String source = "http:";
    private boolean keepAlive;
    private boolean closeAfterAnswer;
    private boolean holdsPermit;
    private boolean gzip;
    /** The request's encoding, for the answer; null when it is neither (a 415). */
    private Encoding encoding;
    private ByteBuf body;
    private long bodyBytes;
    /** The request declared its body's length (reserved whole at the start), or is chunked (reserved as it comes). */
    private boolean lengthDeclared;
    /** Body bytes this request holds in the server's bytes in flight; released with its permit. */
    private long reservedBytes;
    /** A batch of this request's records was taken: its completion answers and releases the permit. */
    private boolean batchTaken;
    /** The answer prepared for a refused request, written once its body has been read and dropped. */
    private FullHttpResponse refusal;

    OtlpHttpHandler(OtlpHttpServer server) {
        this.server = server;
        this.counters = server.counters();
        this.maxBodyBytes = server.settings().maxBodyBytes();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        source = sourceOf(ctx.channel().remoteAddress());
        super.channelActive(ctx);
    }

    static String sourceOf(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getHostString();
            return "http:" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return address == null ? "http:" : "http:" + address;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest) {
                requestRead = false;
            }
            if (msg instanceof LastHttpContent) {
                requestRead = true; // before the handlers below, which may answer and close
            }
            if (msg instanceof HttpRequest req) {
                onRequest(req);
            }
            if (msg instanceof HttpContent c && state != State.CLOSED) {
                onContent(c);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(HttpRequest req) {
        if (state != State.IDLE) {
            return; // the flow control lets no second request in before the answer; never expected
        }
        keepAlive = HttpUtil.isKeepAlive(req);
        encoding = encodingOf(req);
        bodyBytes = 0;
        gzip = false;
        if (req.decoderResult().isFailure()) {
            server.context().protocolError("otlp_bad_http");
            encoding = null;
            answerNow(HttpResponseStatus.BAD_REQUEST, "the HTTP request could not be parsed: "
                    + req.decoderResult().cause().getMessage(), true);
            return;
        }
        String path = new QueryStringDecoder(req.uri()).path();
        boolean expectContinue = HttpUtil.is100ContinueExpected(req);
        if (!path.equals(PATH)) {
            refuse(HttpResponseStatus.NOT_FOUND, "otlp_not_found",
                    "no such path: " + path + "; OTLP/HTTP logs go to POST " + PATH, expectContinue);
            return;
        }
        if (!req.method().equals(HttpMethod.POST)) {
            refuse(HttpResponseStatus.METHOD_NOT_ALLOWED, "otlp_method_not_allowed",
                    "method " + req.method() + " is not allowed on " + PATH + "; use POST", expectContinue);
            return;
        }
        if (encoding == null) {
            String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
            refuse(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "otlp_unsupported_media_type",
                    "Content-Type " + (type == null ? "(none)" : type) + " is not supported; send " + PROTOBUF
                            + " or " + JSON, expectContinue);
            return;
        }
        String contentEncoding = req.headers().get(HttpHeaderNames.CONTENT_ENCODING);
        if (contentEncoding != null) {
            String ce = contentEncoding.trim().toLowerCase(Locale.ROOT);
            if (ce.equals("gzip") || ce.equals("x-gzip")) {
                gzip = true;
            } else if (!ce.isEmpty() && !ce.equals("identity")) {
                refuse(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "otlp_unsupported_encoding",
                        "Content-Encoding " + contentEncoding + " is not supported; send gzip or none", expectContinue);
                return;
            }
        }
        long length = HttpUtil.getContentLength(req, -1L);
        if (length > maxBodyBytes) {
            server.context().protocolError("otlp_body_too_large");
            answerNow(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "the body of " + length
                    + " bytes is over the limit of " + maxBodyBytes + " bytes; send smaller batches", true);
            return;
        }
        if (server.isDraining()) {
            keepAlive = false;
            refuse(HttpResponseStatus.SERVICE_UNAVAILABLE, null, "logpipe is shutting down; retry later", expectContinue);
            return;
        }
        if (!server.tryAcquireRequest()) {
            refuse(HttpResponseStatus.TOO_MANY_REQUESTS, null, "too many requests in flight ("
                    + server.settings().maxRequestsInFlight() + "); retry later", expectContinue);
            return;
        }
        long reserve = weigh(Math.max(length, 0));
        if (!server.tryReserveBytes(0, reserve, server.settings().maxBytesInFlight())) {
            server.releaseRequest();
            refuse(HttpResponseStatus.TOO_MANY_REQUESTS, null, tooManyBytes(), expectContinue);
            return;
        }
        holdsPermit = true;
        lengthDeclared = length >= 0;
        reservedBytes = reserve;
        state = State.READING;
        int initial = (int) Math.min(maxBodyBytes, length >= 0 ? Math.max(length, 1) : 8192);
        body = ctx.alloc().heapBuffer(initial);
        if (expectContinue) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
    }

    private void onContent(HttpContent c) {
        ByteBuf content = c.content();
        int n = content.readableBytes();
        bodyBytes += n;
        if (state == State.READING) {
            if (bodyBytes > maxBodyBytes) {
                releaseBody();
                server.context().protocolError("otlp_body_too_large");
                answerNow(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "the body is over the limit of "
                        + maxBodyBytes + " bytes; send smaller batches", true);
                return;
            }
            long more = lengthDeclared ? 0 : weigh(n);
            if (more == 0 || server.tryReserveBytes(reservedBytes, more, server.settings().maxBytesInFlight())) {
                reservedBytes += more;
                body.writeBytes(content);
                if (c instanceof LastHttpContent) {
                    process();
                }
                return;
            }
            // A chunked body that outgrew the room: refused once read to its end, as if refused at once
            releaseBody();
            releasePermit();
            refuse(HttpResponseStatus.TOO_MANY_REQUESTS, null, tooManyBytes(), false);
        }
        if (state == State.DISCARDING) {
            if (bodyBytes > maxBodyBytes) {
                closeAfterAnswer = true; // not worth reading on: answer and close
                FullHttpResponse r = refusal;
                refusal = null;
                write(r, true);
                return;
            }
            if (c instanceof LastHttpContent) {
                FullHttpResponse r = refusal;
                refusal = null;
                write(r, false);
            }
        }
    }

    /** How many bytes in flight {@code n} bytes of body count for: gzip ones as their estimated inflated size. */
    private long weigh(long n) {
        return gzip ? Math.min(maxBodyBytes, n * GZIP_RATIO) : n;
    }

    private String tooManyBytes() {
        return "too many request bytes in flight (over " + server.settings().maxBytesInFlight() + "); retry later";
    }

    /** The whole body is here: decode, map, offer, and answer when stored. */
    private void process() {
        state = State.WAITING;
        ctx.channel().config().setAutoRead(false);
        counters.requestBytes.add(bodyBytes);
        server.context().receivedBytes(SourceFormat.OTLP, bodyBytes);
        batchTaken = false;
        try {
            decodeAndOffer();
        } catch (Error e) {
            // Out of memory or the like while decoding: nothing of the request is taken unless its batch
            // was; the client retries a 503. Logged: an Error is never routine.
            releaseBody();
            LOG.error("an OTLP request from {} could not be processed: {}", source, e.toString());
            if (!batchTaken && state == State.WAITING) {
                keepAlive = false;
                answerNow(HttpResponseStatus.SERVICE_UNAVAILABLE, "the request could not be processed ("
                        + e.getClass().getSimpleName() + "); retry later", true);
            }
        }
    }

    private void decodeAndOffer() {
        OtlpLogMapper.Mapped mapped;
        long now = LogRecord.nowNanos();
        try {
            ByteBuffer data;
            if (gzip) {
                data = Bodies.gunzip(body, maxBodyBytes);
                releaseBody();
                // Held inflated from here: the estimate becomes the size. One that inflated past it may go
                // past the bound up to twice (the estimate is only that); past that it is not mapped.
                long more = data.remaining() - reservedBytes;
                if (more < 0) {
                    server.releaseBytes(-more);
                    reservedBytes += more;
                } else if (more > 0) {
                    if (!server.tryReserveBytes(reservedBytes, more, 2 * server.settings().maxBytesInFlight())) {
                        answerNow(HttpResponseStatus.TOO_MANY_REQUESTS, tooManyBytes(), false);
                        return;
                    }
                    reservedBytes += more;
                }
            } else {
                data = body.nioBuffer(); // the body's own bytes, held until mapped
            }
            // Protobuf is mapped record by record from the wire; JSON is decoded whole first.
            // JSON is decoded whole first (its tree, then the request's messages): about three times what
            // protobuf holds per record, so a quarter of the records
            int maxRecords = encoding == Encoding.PROTOBUF ? server.settings().maxRecordsPerRequest()
                    : Math.max(1, server.settings().maxRecordsPerRequest() / 4);
            // and what the records hold once mapped, at most four times the body limit (32 MiB by default)
            long maxMapped = 4 * server.settings().maxBodyBytes();
            mapped = encoding == Encoding.PROTOBUF ? OtlpLogMapper.mapProtobuf(data, source, now, maxRecords, maxMapped)
                    : OtlpLogMapper.map(OtlpJson.decodeRequest(data, maxRecords, OtlpJson.MAX_TOKENS), source, now,
                    maxRecords, maxMapped);
            releaseBody();
        } catch (Bodies.TooLargeException e) {
            releaseBody();
            server.context().protocolError("otlp_body_too_large");
            answerNow(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, e.getMessage() + "; send smaller batches", false);
            return;
        } catch (OtlpLogMapper.TooManyRecordsException e) {
            // Not retryable as it is (a 413, as for a body over the limit): the client must split it.
            releaseBody();
            server.context().protocolError("otlp_too_many_records");
            answerNow(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, e.getMessage() + "; send smaller batches (e.g. the"
                    + " Collector's batch processor send_batch_max_size)", false);
            return;
        } catch (OtlpLogMapper.TooMuchToMapException e) {
            releaseBody();
            server.context().protocolError("otlp_too_large");
            answerNow(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, e.getMessage() + "; send smaller batches", false);
            return;
        } catch (BadRequestException | InvalidProtocolBufferException e) {
            releaseBody();
            server.context().protocolError("otlp_bad_body");
            String what = e instanceof InvalidProtocolBufferException
                    ? "the body is not a protobuf ExportLogsServiceRequest: " + e.getMessage() : e.getMessage();
            answerNow(HttpResponseStatus.BAD_REQUEST, what, false);
            return;
        } catch (RuntimeException e) {
            releaseBody();
            server.context().protocolError("otlp_bad_body");
            LOG.debug("OTLP body from {} failed to decode", source, e);
            answerNow(HttpResponseStatus.BAD_REQUEST, "the body could not be decoded: " + e, false);
            return;
        }
        mapped.rejectedByReason().forEach(server.context()::rejected);
        mapped.flaggedByReason().forEach(server.context()::rejected); // stored, flagged: counted as the TCP decoders count them
        counters.rejectedRecords.add(mapped.rejected());
        String partial = mapped.rejected() == 0 ? null
                : mapped.rejected() + " log record(s) rejected; the first: " + mapped.firstError();
        if (mapped.records().isEmpty()) {
            answerOk(mapped.rejected(), partial);
            return;
        }
        ReceiverContext.Offer offer = server.context().offer(mapped.records(), server.settings().ackLevel());
        if (offer instanceof ReceiverContext.Accepted accepted) {
            batchTaken = true;
            ReceiverBatch batch = accepted.batch();
            counters.records.add(batch.size());
            long rejected = mapped.rejected();
            batch.stored().whenComplete((v, failure) -> onLoop(() -> stored(batch, failure, rejected, partial)));
        } else if (offer instanceof ReceiverContext.Full) {
            answerNow(HttpResponseStatus.TOO_MANY_REQUESTS, "the ingest channel is full; retry later", false);
        } else {
            keepAlive = false;
            answerNow(HttpResponseStatus.SERVICE_UNAVAILABLE, "logpipe is not taking records (shutting down,"
                    + " or its journal failed); retry later", false);
        }
    }

    /** The records' receipts completed (on this loop). */
    private void stored(ReceiverBatch batch, Throwable failure, long rejected, String partial) {
        if (state != State.WAITING || !ctx.channel().isActive()) {
            batch.abandoned(); // the client went away: it resends what it did not see answered
            releasePermit();
            return;
        }
        // Counted before the answer is written: a client that has read it sees it counted.
        if (failure != null) {
            batch.failed();
            answerNow(HttpResponseStatus.SERVICE_UNAVAILABLE, "not stored: " + oneLine(failure) + "; retry later", false);
            return;
        }
        batch.acknowledged();
        answerOk(rejected, partial);
    }

    private void onLoop(Runnable task) {
        try {
            ctx.executor().execute(task);
        } catch (RejectedExecutionException e) {
            task.run(); // the loop is gone: so is the connection; the task sees it inactive
        }
    }

    /** Prepares a refusal; it is written once the request's body has been read (and dropped). */
    private void refuse(HttpResponseStatus status, String errorReason, String message, boolean expectContinue) {
        if (errorReason != null) {
            server.context().protocolError(errorReason);
        }
        if (expectContinue) {
            // the client waits for 100 Continue before the body: answer at once, and close as it may send it anyway
            answerNow(status, message, true);
            return;
        }
        state = State.DISCARDING;
        refusal = response(status, message);
    }

    private void answerOk(long rejected, String message) {
        byte[] bytes;
        if (encoding == Encoding.JSON) {
            bytes = OtlpJson.response(rejected, message);
        } else {
            ExportLogsServiceResponse.Builder r = ExportLogsServiceResponse.newBuilder();
            if (rejected > 0) {
                r.setPartialSuccess(ExportLogsPartialSuccess.newBuilder()
                        .setRejectedLogRecords(rejected).setErrorMessage(message));
            }
            bytes = r.build().toByteArray();
        }
        write(full(HttpResponseStatus.OK, bytes), false);
    }

    private void answerNow(HttpResponseStatus status, String message, boolean close) {
        write(response(status, message), close);
    }

    /** An error answer: a google.rpc.Status in the request's encoding (plain text when it has none). */
    private FullHttpResponse response(HttpResponseStatus status, String message) {
        byte[] bytes;
        if (encoding == Encoding.JSON) {
            bytes = OtlpJson.status(grpcCode(status), message);
        } else if (encoding == Encoding.PROTOBUF) {
            bytes = statusProto(grpcCode(status), message);
        } else {
            bytes = (message + "\n").getBytes(StandardCharsets.UTF_8);
        }
        FullHttpResponse r = full(status, bytes);
        if (encoding == null) {
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        }
        if (status.equals(HttpResponseStatus.METHOD_NOT_ALLOWED)) {
            r.headers().set(HttpHeaderNames.ALLOW, "POST");
        }
        if (status.equals(HttpResponseStatus.TOO_MANY_REQUESTS) || status.equals(HttpResponseStatus.SERVICE_UNAVAILABLE)) {
            r.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(Math.max(1, server.settings().retryAfter().toSeconds())));
        }
        return r;
    }

    private FullHttpResponse full(HttpResponseStatus status, byte[] bytes) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, encoding == Encoding.JSON ? JSON : PROTOBUF);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return r;
    }

    /** Writes an answer; the next request may be read once it is out, unless the connection closes. */
    private void write(FullHttpResponse r, boolean close) {
        close |= !keepAlive || closeAfterAnswer || server.isDraining();
        if (close) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        counters.response(r.status().code());
        releasePermit();
        if (!ctx.channel().isActive()) {
            r.release();
            state = State.CLOSED;
            return;
        }
        ChannelFuture f = ctx.writeAndFlush(r); // ownership passes to the channel
        if (close) {
            state = State.CLOSED;
            f.addListener(requestRead ? ChannelFutureListener.CLOSE : done -> lingerThenClose());
        } else {
            state = State.IDLE;
            ctx.channel().config().setAutoRead(true); // also issues the next read
        }
    }

    private static int grpcCode(HttpResponseStatus status) {
        return switch (status.code()) {
            case 400, 413, 415 -> 3;   // INVALID_ARGUMENT
            case 404 -> 5;             // NOT_FOUND
            case 405 -> 12;            // UNIMPLEMENTED
            case 429 -> 8;             // RESOURCE_EXHAUSTED
            case 503 -> 14;            // UNAVAILABLE
            default -> 2;              // UNKNOWN
        };
    }

    /** {@code google.rpc.Status} {code = 1, message = 2} in protobuf (no details). */
    static byte[] statusProto(int code, String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(message.length() + 8);
        CodedOutputStream c = CodedOutputStream.newInstance(out);
        try {
            c.writeInt32(1, code);
            c.writeString(2, message);
            c.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static Encoding encodingOf(HttpRequest req) {
        CharSequence mime = HttpUtil.getMimeType(req);
        if (mime == null) {
            return null;
        }
        String m = mime.toString().trim();
        if (m.equalsIgnoreCase(PROTOBUF)) {
            return Encoding.PROTOBUF;
        }
        if (m.equalsIgnoreCase(JSON)) {
            return Encoding.JSON;
        }
        return null;
    }

    private void releaseBody() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    private void releasePermit() {
        if (holdsPermit) {
            holdsPermit = false;
            server.releaseRequest();
            server.releaseBytes(reservedBytes);
            reservedBytes = 0;
        }
    }

    private static String oneLine(Throwable t) {
        String m = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        m = m.replace('\n', ' ');
        return m.length() > 200 ? m.substring(0, 200) : m;
    }

    /**
     * Closes after an answer given before the request was read to its end (a 413 on the declared
     * length, a refusal after {@code Expect: 100-continue}, a body over the limit) without losing the
     * answer. Closing a socket with unread bytes sends an RST, and a client still sending its body then
     * reads a reset instead of the answer. So the output is shut down first (the client reads the
     * answer, then the end of the stream), what still arrives is read and dropped, and the connection
     * closes when the client closes it or after {@link #LINGER_MILLIS} (nginx's "lingering close").
     */
    private void lingerThenClose() {
        if (!(ctx.channel() instanceof DuplexChannel ch) || !ch.isActive()) {
            ctx.close();
            return;
        }
        ch.shutdownOutput().addListener(done -> {
            if (!done.isSuccess()) {
                ctx.close();
                return;
            }
            ch.config().setAutoRead(true);
            try {
                ctx.executor().schedule(() -> {
                    ctx.close();
                }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                ctx.close(); // the event loop is shutting down
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DRAIN) {
            if (state == State.IDLE) {
                state = State.CLOSED;
                ctx.close();
            } else {
                closeAfterAnswer = true;
            }
            return;
        }
        if (evt instanceof IdleStateEvent) {
            if (state != State.WAITING) {
                ctx.close(); // an idle keep-alive connection, or a client that stopped mid-body
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseBody();
        if (refusal != null) {
            refusal.release();
            refusal = null;
        }
        if (state != State.WAITING || !batchTaken) {
            releasePermit(); // a taken batch: released when its receipts complete, which also counts it
        }
        if (state != State.WAITING) {
            state = State.CLOSED;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("OTLP connection error on {}", ctx.channel().remoteAddress(), cause);
        } else {
            LOG.warn("OTLP connection from {} closed after an unexpected error", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }
}
