package dev.berth.puller.registry;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Turns the JDK's bare socket and TLS failures ("Connection refused", a host name alone, "Unsupported or
 * unrecognized SSL message") into messages that say what was being done, to which address, why it failed and
 * what to try. The exception types stay what they were (a refused connection is still a
 * {@link ConnectException}), so callers that retry by type behave as before.
 */
final class TransportErrors {
    private TransportErrors() {}

    static IOException explain(IOException e, String method, URI uri, TransportOptions options) {
        String address = uri.getAuthority();
        String doing = method + " " + uri;
        URI proxy = options.proxies().proxyFor(uri);
        String via = proxy == null
                ? ""
                : " through proxy " + proxy.getAuthority()
                        + ("https".equalsIgnoreCase(uri.getScheme()) ? " (HTTPS_PROXY)" : " (HTTP_PROXY)");
        if (e instanceof UnknownHostException) {
            String host = proxy != null && String.valueOf(e.getMessage()).contains(proxy.getHost())
                    ? proxy.getHost()
                    : uri.getHost();
            return withCause(
                    new UnknownHostException(doing + via + ": cannot resolve host name " + host
                            + ": check the name (a reference without a registry host means docker.io), DNS, or whether this "
                            + "network needs HTTPS_PROXY"),
                    e);
        }
        if (e instanceof ConnectException || e instanceof NoRouteToHostException) {
            String target = proxy != null ? "proxy " + proxy.getAuthority() : address;
            String hint = proxy != null
                    ? "is the proxy running, and are HTTP_PROXY/HTTPS_PROXY right (or should " + "NO_PROXY list "
                            + uri.getHost() + ")?"
                    : "is a registry running there, and are the host and port right?";
            return withCause(
                    new ConnectException(
                            doing + ": cannot connect to " + target + ": " + lowerFirst(e.getMessage()) + "; " + hint),
                    e);
        }
        if (e instanceof SSLException && !(e instanceof PlainHttpException)) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("Unsupported or unrecognized SSL message") || m.contains("plaintext connection")) {
                return new PlainHttpException(
                        "registry " + address + " answered in plain HTTP (" + doing + via
                                + "): add --plain-http (plainHttp: true in an agent config)",
                        e);
            }
            if (e instanceof SSLHandshakeException
                    && (m.contains("PKIX") || m.contains("certificate") || m.contains("No subject alternative"))) {
                return withCause(
                        new SSLHandshakeException(doing + via + ": the TLS certificate of registry "
                                + address + " is not trusted (" + m + "): add --ca-file with its CA certificate, or "
                                + "--insecure to skip the check"),
                        e);
            }
            return withCause(new SSLException(doing + via + ": TLS with registry " + address + " failed: " + m), e);
        }
        return e;
    }

    private static <T extends IOException> T withCause(T e, Throwable cause) {
        e.initCause(cause);
        return e;
    }

    private static String lowerFirst(String s) {
        if (s == null || s.isEmpty()) {
            return "failed";
        }
        return Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
