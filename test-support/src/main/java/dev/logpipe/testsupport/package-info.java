/**
 * Test helpers shared by the modules' tests: {@link dev.logpipe.testsupport.Conditions} (polling with
 * a deadline instead of sleeps), {@link dev.logpipe.testsupport.MutableClock},
 * {@link dev.logpipe.testsupport.FakeFileStore} and {@link dev.logpipe.testsupport.TestCertificates}.
 *
 * <p>Not shipped: every module depends on it at test scope only.
 */
package dev.logpipe.testsupport;
