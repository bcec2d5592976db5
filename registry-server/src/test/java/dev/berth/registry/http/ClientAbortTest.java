package dev.berth.registry.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import reactor.netty.channel.AbortedException;

/** A client that goes away mid-request is no server failure: recognised, so it is logged at DEBUG only. */
class ClientAbortTest {

    @Test
    void recognisesAbortsAnywhereInTheCauseChain() {
        assertThat(RegistryErrorHandler.isClientAbort(new AbortedException("Connection has been closed")))
                .isTrue();
        assertThat(RegistryErrorHandler.isClientAbort(new ClosedChannelException()))
                .isTrue();
        assertThat(RegistryErrorHandler.isClientAbort(
                        new IOException("recvAddress(..) failed: Connection reset by peer")))
                .isTrue();
        assertThat(RegistryErrorHandler.isClientAbort(
                        new CompletionException(new RuntimeException(new IOException("Broken pipe")))))
                .isTrue();
    }

    @Test
    void leavesRealFailuresAlone() {
        assertThat(RegistryErrorHandler.isClientAbort(new IllegalStateException("boom")))
                .isFalse();
        assertThat(RegistryErrorHandler.isClientAbort(new IOException("No space left on device")))
                .isFalse();
    }
}
