package dev.berth.puller.cli;

import java.io.IOException;

/** A failure the command line itself diagnosed, with its stable {@link Failure.Code}. */
final class CliException extends IOException {
    private final Failure.Code code;

    CliException(Failure.Code code, String message) {
        super(message);
        this.code = code;
    }

    CliException(Failure.Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    Failure.Code code() {
        return code;
    }
}
