package dev.berth.puller.cli;

import dev.berth.oci.OciJson;
import dev.berth.puller.registry.PlainHttpException;
import dev.berth.puller.registry.RegistryException;
import dev.berth.puller.registry.TransportTimeoutException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLException;

/**
 * How a failed command reports itself: one line {@code error: <message>} on stderr, or with {@code --json} one
 * JSON object {@code {"code": ..., "error": ...}} on stderr. The code is derived once, here, from the exception
 * (or from its causes) and is part of the command line's interface: scripts may match on it.
 *
 * @param code    the stable code
 * @param message what was being done, to what, why it failed and what to try
 * @param extra   further fields of the JSON object (a registry's own error code, the HTTP status)
 */
record Failure(Code code, String message, Map<String, Object> extra) {
    /** Exit status of a failed command; usage errors exit {@link #USAGE_EXIT}. */
    static final int EXIT = 1;

    static final int USAGE_EXIT = 2;

    /** The stable codes of JSON errors; README lists them. */
    enum Code {
        /** The command line was wrong (unknown option, missing argument); exit status 2. */
        USAGE,
        /** {@code --root} holds no store, and the command only reads one. */
        NO_STORE,
        /** The store could not be created or opened (permissions, a file in the way). */
        STORE,
        /** No pulled image matches the reference, digest or ID prefix. */
        IMAGE_NOT_FOUND,
        /** The prefix or reference matches several images; the message lists them. */
        AMBIGUOUS,
        /** Nothing accepted the connection (registry or proxy down, wrong port). */
        REGISTRY_UNREACHABLE,
        /** The registry's (or proxy's) host name does not resolve. */
        UNKNOWN_HOST,
        /** The registry speaks plain HTTP: add --plain-http. */
        PLAIN_HTTP,
        /** TLS failed: an untrusted certificate or a failed handshake. */
        TLS,
        /** The registry stopped answering. */
        TIMEOUT,
        /** The registry answered with an error; {@code registryCode} and {@code status} say which. */
        REGISTRY_ERROR,
        /** The target already exists: a bundle in DIR, a mount at TARGET. */
        EXISTS,
        /** TARGET or DIR is not mounted by berth. */
        NOT_MOUNTED,
        /** The agent's configuration file is missing or wrong. */
        CONFIG,
        /** The address to listen on is taken. */
        ADDRESS_IN_USE,
        /** Anything else; the message says what. */
        FAILED
    }

    /** The failure {@code e} reports: its message, and the code of the most specific cause that has one. */
    static Failure of(Throwable e) {
        Map<String, Object> extra = new LinkedHashMap<>();
        Code code = Code.FAILED;
        for (Throwable t = e; t != null; t = t.getCause()) {
            Code c = codeOf(t);
            if (t instanceof RegistryException re && !extra.containsKey("registryCode")) {
                extra.put("registryCode", re.code().name());
                extra.put("status", re.status());
            }
            if (c != Code.FAILED) {
                code = c;
                break;
            }
        }
        String message = e.getMessage() == null || e.getMessage().isBlank() ? e.toString() : e.getMessage();
        if (e instanceof NoSuchFileException n && n.getReason() == null) {
            message = n.getFile() + ": no such file or directory";
        }
        return new Failure(code, message, extra);
    }

    private static Code codeOf(Throwable t) {
        if (t instanceof CliException c) {
            return c.code();
        }
        if (t instanceof PlainHttpException) {
            return Code.PLAIN_HTTP;
        }
        if (t instanceof SSLException) {
            return Code.TLS;
        }
        if (t instanceof UnknownHostException) {
            return Code.UNKNOWN_HOST;
        }
        if (t instanceof BindException) {
            return Code.ADDRESS_IN_USE;
        }
        if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
            return Code.REGISTRY_UNREACHABLE;
        }
        if (t instanceof TransportTimeoutException) {
            return Code.TIMEOUT;
        }
        if (t instanceof RegistryException) {
            return Code.REGISTRY_ERROR;
        }
        if (t instanceof FileAlreadyExistsException) {
            return Code.EXISTS;
        }
        if (t instanceof NoSuchFileException n
                && n.getReason() != null
                && n.getReason().startsWith("not mounted")) {
            return Code.NOT_MOUNTED;
        }
        return Code.FAILED;
    }

    void print(PrintWriter err, boolean json) {
        if (json) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("code", code.name());
            body.put("error", message);
            body.putAll(extra);
            err.println(OciJson.mapper().writeValueAsString(body));
        } else {
            err.println("error: " + message);
        }
        err.flush();
    }
}
