package dev.berth.puller.pull;

import java.io.IOException;

/** A pull failed; the message names the image and, when one was at fault, the layer. */
public class PullException extends IOException {
    public PullException(String message, Throwable cause) {
        super(message, cause);
    }
}
