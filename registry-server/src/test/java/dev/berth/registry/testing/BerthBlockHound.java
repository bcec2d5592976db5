package dev.berth.registry.testing;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * BlockHound's settings for registry-server's tests. {@code blockhound-junit-platform} installs BlockHound
 * before the first test, so a blocking call on an event-loop thread (Reactor Netty's loops, Reactor's parallel
 * scheduler) fails the test that caused it. Only well-understood, harmless calls are allowed here, each with
 * the reason.
 */
public final class BerthBlockHound implements BlockHoundIntegration {
    @Override
    public void applyTo(BlockHound.Builder builder) {
    }
}
