package dev.berth.unionfs.mount;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * overlay2's {@code l/} directory: one short symlink per layer, {@code <root>/l/<26 chars>}, pointing
 * at the layer's directory by a path relative to {@code l/}. Mount options that name layers through
 * these links, relative to the root, stay short enough for one page however long the real paths are.
 */
public final class ShortLinks {

    /** Directory under the overlay root that holds the links. */
    public static final String LINK_DIR = "l";

    private static final char[] ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();
    private static final int ID_LENGTH = 26;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ShortLinks() {}

    /** Creates a new short link under {@code root/l/} to {@code layerDir}; returns the link's path. */
    public static Path create(Path root, Path layerDir) throws IOException {
        Path dir = Files.createDirectories(root.resolve(LINK_DIR));
        Path target = dir.toAbsolutePath()
                .normalize()
                .relativize(layerDir.toAbsolutePath().normalize());
        while (true) {
            Path link = dir.resolve(randomId());
            try {
                return Files.createSymbolicLink(link, target);
            } catch (FileAlreadyExistsException collision) {
                // 130 random bits: practically never; try another name.
            }
        }
    }

    private static String randomId() {
        char[] id = new char[ID_LENGTH];
        for (int i = 0; i < ID_LENGTH; i++) {
            id[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(id);
    }
}
