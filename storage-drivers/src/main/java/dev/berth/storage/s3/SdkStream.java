package dev.berth.storage.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * A response body that reports failures as the SPI's errors and, when closed before the end, aborts the
 * connection instead of draining the rest of a possibly huge object.
 */
final class SdkStream extends FilterInputStream {
    private final String path;
    private final ResponseInputStream<?> response;
    private boolean eof;

    SdkStream(String path, ResponseInputStream<?> response) {
        super(response);
        this.path = path;
        this.response = response;
    }

    @Override
    public int read() throws IOException {
        try {
            int b = super.read();
            eof |= b < 0;
            return b;
        } catch (SdkException e) {
            throw S3Errors.translate(path, e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            int n = super.read(b, off, len);
            eof |= n < 0;
            return n;
        } catch (SdkException e) {
            throw S3Errors.translate(path, e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (!eof) {
                response.abort();
            }
            super.close();
        } catch (SdkException e) {
            throw S3Errors.translate(path, e);
        }
    }
}
