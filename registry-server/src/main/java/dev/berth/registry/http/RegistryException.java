package dev.berth.registry.http;

import dev.berth.oci.ErrorCode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A spec error on its way to the client. Handlers throw (or emit) it; {@link RegistryErrorHandler} is the one
 * place that turns it into the JSON body and status.
 */
public class RegistryException extends RuntimeException {
    private final ErrorCode code;
    private final Object detail;
    private int status;
    private final Map<String, String> headers = new LinkedHashMap<>();

    public RegistryException(ErrorCode code, String message, Object detail) {
        super(message == null ? code.message() : message, null, false, false);
        this.code = code;
        this.detail = detail;
        this.status = code.status();
    }

    public RegistryException(ErrorCode code) {
        this(code, null, null);
    }

    public ErrorCode code() {
        return code;
    }

    public Object detail() {
        return detail;
    }

    public int status() {
        return status;
    }

    /** Overrides the code's usual status where the spec asks for another (e.g. 416 for a bad chunk). */
    public RegistryException withStatus(int newStatus) {
        this.status = newStatus;
        return this;
    }

    public RegistryException withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
