package dev.berth.registry.notify;

import java.util.Locale;

/** What happened, as the envelope's {@code action} field names it. */
public enum Action {
    /** A manifest PUT (one event per tag it set) or a finished blob upload. */
    PUSH,
    /** A manifest or blob GET (HEAD requests are not events). */
    PULL,
    /** A manifest, tag or blob DELETE. */
    DELETE,
    /** A blob cross-mounted into a repository. */
    MOUNT;

    /** The lower-case name used on the wire and in {@code berth.notifications.endpoints[n].actions}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
