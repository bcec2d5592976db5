package dev.berth.storage;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/** Optional capability: the driver can hand clients a URL that serves an object directly (e.g. presigned S3). */
public interface RedirectCapable {

    /** A URL valid for at least {@code validity}, or empty when redirects are off for this driver instance. */
    Optional<URI> redirectUrl(String path, Duration validity) throws IOException;
}
