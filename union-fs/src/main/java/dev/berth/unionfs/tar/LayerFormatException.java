package dev.berth.unionfs.tar;

import java.io.IOException;

/**
 * The layer tar asks for something that cannot be applied safely or at all: an invalid whiteout
 * name, a hardlink whose target is not inside the layer, an entry type that has no meaning in a
 * layer, a NUL byte in a name. The layer directory is left partly written; callers discard it.
 */
public class LayerFormatException extends IOException {
    public LayerFormatException(String message) {
        super(message);
    }
}
