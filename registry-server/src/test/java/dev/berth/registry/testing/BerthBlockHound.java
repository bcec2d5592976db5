package dev.berth.registry.testing;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * BlockHound's settings for registry-server's tests. {@code blockhound-junit-platform} installs BlockHound
 * before the first test, so a blocking call on an event-loop thread (Reactor Netty's loops, Reactor's parallel
 * scheduler) fails the test that caused it.
 *
 * <p>BlockHound knows sleeps, locks, sockets and {@code java.io} files, but not NIO file channels or
 * {@code java.nio.file.Files}, which is how the filesystem driver reaches the disk: their system calls are
 * marked blocking here too, so storage access on an event loop fails a test like any other blocking call.
 * Allowed: only well-understood, harmless cases, each with the reason.
 */
public final class BerthBlockHound implements BlockHoundIntegration {
    private static final String CHANNEL_IO = "sun.nio.ch.FileDispatcherImpl";
    private static final String FILE_SYSTEM = "sun.nio.fs.UnixNativeDispatcher";

    @Override
    public void applyTo(BlockHound.Builder builder) {
        // Spring's resource writer sends a static file (the web UI's assets) zero-copy when it is a file on disk,
        // as under target/classes (from a packaged jar they are streamed): Reactor Netty opens it on the event
        // loop, one open(2) of a small local file. Blob responses no longer take this path (BlobHandler opens
        // on the storage pool), which VanishingBlobTest and BlobApiTest cover with BlockHound on.
        builder.allowBlockingCallsInside("reactor.netty.NettyOutbound", "lambda$sendFile$0");
        for (String method : new String[] {"read0", "pread0", "write0", "pwrite0", "force0"}) {
            builder.markAsBlocking(CHANNEL_IO, method, descriptor(method));
        }
        builder.markAsBlocking(FILE_SYSTEM, "open0", "(JII)I");
        builder.markAsBlocking(FILE_SYSTEM, "stat0", "(JLsun/nio/fs/UnixFileAttributes;)V");
        builder.markAsBlocking(FILE_SYSTEM, "lstat0", "(JLsun/nio/fs/UnixFileAttributes;)V");
        builder.markAsBlocking(FILE_SYSTEM, "rename0", "(JJ)V");
        builder.markAsBlocking(FILE_SYSTEM, "unlink0", "(J)V");
        builder.markAsBlocking(FILE_SYSTEM, "mkdir0", "(JI)V");
        builder.markAsBlocking(FILE_SYSTEM, "opendir0", "(J)J");
    }

    private static String descriptor(String channelMethod) {
        return switch (channelMethod) {
            case "read0", "write0" -> "(Ljava/io/FileDescriptor;JI)I";
            case "pread0", "pwrite0" -> "(Ljava/io/FileDescriptor;JIJ)I";
            default -> "(Ljava/io/FileDescriptor;Z)I";
        };
    }
}
