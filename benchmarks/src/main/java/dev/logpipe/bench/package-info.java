/**
 * Benchmarks of logpipe's hot paths, each beside a JDK or JCTools baseline: mpsc channel throughput
 * ({@link dev.logpipe.bench.MpscThroughput}, JMH) and journal writer append throughput and
 * send-to-durable latency ({@link dev.logpipe.bench.WriterBench}, a plain program).
 *
 * <p>Nothing here runs during {@code mvn verify}; {@code bench/jmh.sh} builds
 * {@code benchmarks/target/benchmarks.jar} and runs them. The TCP load generator is in
 * {@link dev.logpipe.bench.load}.
 */
package dev.logpipe.bench;
