package dev.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.oci.Digest;
import dev.berth.registry.storage.RegistryLayout;
import dev.berth.registry.testing.Resp;
import dev.berth.storage.CheckedStorageDriver;
import dev.berth.storage.LocalFileCapable;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.filesystem.FilesystemDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.bean.override.convention.TestBean;

/**
 * A blob deleted after a GET found it and before its bytes were opened (a collector on another replica, with
 * this replica still trusting its cached size) is a 404 BLOB_UNKNOWN, never a 200 whose promised bytes never
 * come. The race is made certain rather than likely: the storage driver deletes the blob's file when the handler
 * asks where that file is, the last storage call before the open.
 */
class VanishingBlobTest extends BlobApiSupport {
    /** Blob data paths to delete when the handler next asks for their local file. */
    static final Set<String> VANISH = ConcurrentHashMap.newKeySet();
    /** Off: the driver offers no local files, so bodies are streamed from the driver instead of sent zero-copy. */
    static volatile boolean offerLocalFiles = true;

    @TestBean(name = "storageDriver")
    StorageDriver storageDriver;

    static StorageDriver storageDriver() {
        try {
            return new CheckedStorageDriver(vanishing(new FilesystemDriver(ROOT)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Forwards every call to {@code delegate}; {@code localFile} first deletes a path listed in {@link #VANISH}. */
    private static StorageDriver vanishing(FilesystemDriver delegate) {
        return (StorageDriver) Proxy.newProxyInstance(
                VanishingBlobTest.class.getClassLoader(),
                new Class<?>[] {StorageDriver.class, LocalFileCapable.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("localFile")) {
                        String path = (String) args[0];
                        if (VANISH.remove(path)) {
                            delegate.delete(path);
                        }
                        return offerLocalFiles ? delegate.localFile(path) : Optional.empty();
                    }
                    try {
                        return method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @AfterEach
    void reset() {
        VANISH.clear();
        offerLocalFiles = true;
    }

    @Test
    void aZeroCopyBlobDeletedBeforeItWasOpenedIsUnknown() {
        assertVanishedBlobIsUnknown("zerocopy");
    }

    @Test
    void aStreamedBlobDeletedBeforeItWasOpenedIsUnknown() {
        offerLocalFiles = false;
        assertVanishedBlobIsUnknown("streamed");
    }

    private void assertVanishedBlobIsUnknown(String hint) {
        String repo = newRepo(hint);
        byte[] content = randomBytes(64 * 1024, hint.hashCode());
        Digest digest = push(repo, content);
        assertThat(get(blobPath(repo, digest)).body()).isEqualTo(content);

        String data = RegistryLayout.blobData(digest);
        VANISH.add(data);
        Resp whole = get(blobPath(repo, digest));
        assertThat(VANISH).as("the driver deleted the file during the GET").isEmpty();
        assertThat(Files.exists(ROOT.resolve(data.substring(1)))).isFalse();
        assertThat(whole.status()).as("%s", whole).isEqualTo(404);
        assertThat(whole.errorCode()).isEqualTo("BLOB_UNKNOWN");
        assertThat(whole.header("Docker-Content-Digest")).isNull();
    }
}
