package dev.berth.registry.storage;

import dev.berth.storage.PathNotFoundException;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageUnavailableException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * The two deletion markers that let garbage collection and writers in different processes agree, through
 * storage alone, on whether an object (a blob directory or a manifest revision directory) may be deleted. The
 * protocol is described in {@code dev.berth.registry.gc}; this class only performs its steps:
 *
 * <ul>
 *   <li>GC writes {@value RegistryLayout#GC_INTENT} ({@link #intend}), waits, then {@linkplain #claim claims}
 *       by moving it to {@value RegistryLayout#GC_CLAIMED}. The move is atomic, so it fails if a writer deleted
 *       the intent first.</li>
 *   <li>A writer {@linkplain #rescue rescues} by deleting the intent and then checking for a claim: whoever
 *       acted first on the intent wins, and both sides learn the outcome.</li>
 * </ul>
 */
public final class GcMarkers {
    private final StorageDriver driver;

    public GcMarkers(StorageDriver driver) {
        this.driver = driver;
    }

    /** What a directory holds, from one listing: its markers and whether {@code data} (or {@code link}) is there. */
    public record State(boolean exists, boolean content, boolean intent, boolean claimed) {}

    /** The markers of {@code dir} and whether its {@code contentName} object exists; one list call. */
    public State state(String dir, String contentName) throws IOException {
        List<String> children;
        try {
            children = driver.list(dir);
        } catch (PathNotFoundException e) {
            return new State(false, false, false, false);
        }
        boolean content = false;
        boolean intent = false;
        boolean claimed = false;
        for (String child : children) {
            String leaf = child.substring(child.lastIndexOf('/') + 1);
            content |= leaf.equals(contentName);
            intent |= leaf.equals(RegistryLayout.GC_INTENT);
            claimed |= leaf.equals(RegistryLayout.GC_CLAIMED);
        }
        return new State(true, content, intent, claimed);
    }

    /**
     * Writer side: cancels a pending deletion of {@code dir}. Returns the state afterwards; if it still says
     * {@code claimed}, GC won and the content counts as absent.
     */
    public State rescue(String dir, String contentName) throws IOException {
        State state = state(dir, contentName);
        if (!state.intent()) {
            // No intent now means any later one is written after this call, and GC's settle delay covers that.
            return state;
        }
        deleteQuietly(dir + "/" + RegistryLayout.GC_INTENT);
        // Look again only after the delete: a claim that won the race is visible by now.
        return new State(state.exists(), state.content(), false, exists(dir + "/" + RegistryLayout.GC_CLAIMED));
    }

    /**
     * Writer side: rescues {@code dir} and, while GC holds a claim on it with the content still present, waits
     * (GC is about to delete the content or to release it). Returns the settled state: not claimed, or claimed
     * with the content already deleted, in which case the writer may write fresh content. Fails with
     * {@link StorageUnavailableException} (retry later) if the claim does not resolve within
     * {@code maxWaitMillis}.
     */
    public State rescueAndAwait(String dir, String contentName, long maxWaitMillis) throws IOException {
        long deadline = System.nanoTime() + maxWaitMillis * 1_000_000L;
        for (; ; ) {
            State state = rescue(dir, contentName);
            if (!state.claimed() || !state.content()) {
                return state;
            }
            if (System.nanoTime() > deadline) {
                // A GC that died between claim and delete; the next GC run finishes (or releases) the claim.
                throw new StorageUnavailableException(dir + "/" + RegistryLayout.GC_CLAIMED, null);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for garbage collection on " + dir);
            }
        }
    }

    /** GC side: announces the intent to delete {@code dir}'s content. */
    public void intend(String dir) throws IOException {
        driver.putContent(
                dir + "/" + RegistryLayout.GC_INTENT, Instant.now().toString().getBytes(StandardCharsets.US_ASCII));
    }

    /** GC side: turns the intent into a claim; false when a writer rescued the content meanwhile. */
    public boolean claim(String dir) throws IOException {
        try {
            driver.move(dir + "/" + RegistryLayout.GC_INTENT, dir + "/" + RegistryLayout.GC_CLAIMED);
            return true;
        } catch (PathNotFoundException rescued) {
            return false;
        }
    }

    /** GC side: gives up an intent (the content turned out to be needed). */
    public void withdraw(String dir) throws IOException {
        deleteQuietly(dir + "/" + RegistryLayout.GC_INTENT);
    }

    /** GC side: drops a claim, last, once the content is deleted or was found to be needed after all. */
    public void unclaim(String dir) throws IOException {
        deleteQuietly(dir + "/" + RegistryLayout.GC_CLAIMED);
    }

    private boolean exists(String path) throws IOException {
        try {
            driver.stat(path);
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }

    private void deleteQuietly(String path) throws IOException {
        try {
            driver.delete(path);
        } catch (PathNotFoundException alreadyGone) {
            // the other side got there first; the caller re-checks what matters
        }
    }
}
