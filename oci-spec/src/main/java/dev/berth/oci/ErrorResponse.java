package dev.berth.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The spec's error body: {@code {"errors":[{"code","message","detail"}]}}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ErrorResponse(List<Entry> errors) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Entry(String code, String message, Object detail) {
        /** The registered code, or {@link ErrorCode#UNKNOWN} for codes this enum lacks. */
        public ErrorCode errorCode() {
            return ErrorCode.fromCode(code).orElse(ErrorCode.UNKNOWN);
        }
    }

    public static ErrorResponse of(ErrorCode code, String message, Object detail) {
        return new ErrorResponse(List.of(new Entry(code.name(), message == null ? code.message() : message, detail)));
    }
}
