package dev.berth.puller.pull;

import com.github.luben.zstd.ZstdInputStream;
import dev.berth.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.zip.GZIPInputStream;

/**
 * Wraps a layer blob stream in the decompressor its media type names. Media types lie now and then (a
 * "tar" that is gzipped), so the first bytes are sniffed and the magic number wins.
 */
final class Decompression {
    /** Inflater input buffer: large reads mean fewer JNI calls and fewer trips through the verifying stream. */
    static final int GZIP_BUFFER = 256 * 1024;

    private Decompression() {}

    static InputStream wrap(InputStream compressed, String mediaType) throws IOException {
        PushbackInputStream in = new PushbackInputStream(compressed, 4);
        byte[] magic = in.readNBytes(4);
        in.unread(magic);
        String kind = MediaTypes.layerCompression(mediaType);
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            kind = "gzip";
        } else if (magic.length == 4
                && (magic[0] & 0xff) == 0x28
                && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f
                && (magic[3] & 0xff) == 0xfd) {
            kind = "zstd";
        } else if (magic.length > 0) {
            kind = "none";
        }
        return switch (kind) {
            case "gzip" -> new GZIPInputStream(in, GZIP_BUFFER);
            case "zstd" -> {
                ZstdInputStream z = new ZstdInputStream(in);
                z.setContinuous(false);
                yield z;
            }
            default -> in;
        };
    }
}
