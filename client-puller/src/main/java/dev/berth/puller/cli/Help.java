package dev.berth.puller.cli;

/** The texts every command's {@code --help} shares: what REF, TARGET and DIR are, and the exit codes. */
final class Help {
    static final String REF = "image reference: [REGISTRY[:PORT]/]REPOSITORY[:TAG][@DIGEST]. Without a registry "
            + "host it means Docker Hub, as with docker: busybox is docker.io/library/busybox:latest, user/img is "
            + "docker.io/user/img:latest.";
    static final String STORED_REF =
            REF + " Of a pulled image, also a prefix (4+ hex digits) of its IMAGE ID or " + "manifest digest.";
    static final String TARGET = "directory to mount the image's filesystem at (created when missing).";
    static final String DIR = "bundle directory: the command writes DIR/config.json and mounts the image at "
            + "DIR/rootfs (created when missing).";

    private Help() {}
}
