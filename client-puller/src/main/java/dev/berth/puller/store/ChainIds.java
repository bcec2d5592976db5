package dev.berth.puller.store;

import dev.berth.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * ChainIDs as the image spec defines them: ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " +
 * DiffID(Ln)). A ChainID names a layer together with everything below it, which makes it the right key for
 * an applied layer directory.
 */
public final class ChainIds {
    private ChainIds() {}

    public static List<Digest> of(List<Digest> diffIds) {
        List<Digest> out = new ArrayList<>(diffIds.size());
        Digest previous = null;
        for (Digest diffId : diffIds) {
            previous = previous == null
                    ? diffId
                    : Digest.sha256((previous + " " + diffId).getBytes(StandardCharsets.UTF_8));
            out.add(previous);
        }
        return List.copyOf(out);
    }
}
