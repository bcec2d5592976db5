package dev.berth.registry.security;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One resource scope of the token protocol, {@code type:name:action[,action]}: what a client asks the token
 * service for, what a token's {@code access} claim grants, and what the registry demands for a request. The name
 * may itself contain ':' (a registry host with a port), so the type ends at the first ':' and the actions start
 * after the last.
 *
 * @param type    {@code repository} or {@code registry} (a resource class in parentheses is kept as part of it)
 * @param name    the repository name, or {@code catalog} for the registry type
 * @param actions e.g. {@code pull}, {@code push}, {@code delete}, {@code *}; insertion order kept for display
 */
public record ResourceScope(String type, String name, Set<String> actions) {
    /** The scope {@code _catalog} requires. */
    public static final ResourceScope CATALOG = new ResourceScope("registry", "catalog", Set.of("*"));
    /** The scope {@code /admin/**} requires of a token. */
    public static final ResourceScope ADMIN = new ResourceScope("registry", "admin", Set.of("*"));

    public ResourceScope {
        actions = Set.copyOf(new LinkedHashSet<>(actions));
    }

    /** A repository scope. */
    public static ResourceScope repository(String name, String... actions) {
        return new ResourceScope("repository", name, orderedSet(List.of(actions)));
    }

    /** Parses one scope; returns null for text that is not of the form {@code type:name:actions}. */
    public static ResourceScope parse(String text) {
        int first = text.indexOf(':');
        int last = text.lastIndexOf(':');
        if (first <= 0 || last == first || last == text.length() - 1) {
            return null;
        }
        List<String> actions = new ArrayList<>();
        for (String action : text.substring(last + 1).split(",")) {
            if (!action.isBlank()) {
                actions.add(action.trim());
            }
        }
        String name = text.substring(first + 1, last);
        if (actions.isEmpty() || name.isEmpty()) {
            return null;
        }
        return new ResourceScope(text.substring(0, first), name, orderedSet(actions));
    }

    /** Parses a space-separated list of scopes (one {@code scope} parameter), skipping malformed ones. */
    public static List<ResourceScope> parseAll(String text) {
        List<ResourceScope> scopes = new ArrayList<>();
        if (text == null) {
            return scopes;
        }
        for (String part : text.trim().split("\\s+")) {
            ResourceScope scope = part.isEmpty() ? null : parse(part);
            if (scope != null) {
                scopes.add(scope);
            }
        }
        return scopes;
    }

    /** True when this (granted) scope covers the given action on the given resource. */
    public boolean allows(String wantedType, String wantedName, String action) {
        return type.equals(wantedType)
                && name.equals(wantedName)
                && (actions.contains(action) || actions.contains("*"));
    }

    /** The scope in the protocol's text form, e.g. {@code repository:team/app:pull,push}. */
    @Override
    public String toString() {
        return type + ":" + name + ":" + String.join(",", orderedActions());
    }

    /** The actions in a stable order: pull, push, delete, then others alphabetically. */
    public List<String> orderedActions() {
        List<String> ordered = new ArrayList<>();
        for (String known : List.of("pull", "push", "delete")) {
            if (actions.contains(known)) {
                ordered.add(known);
            }
        }
        actions.stream().filter(a -> !ordered.contains(a)).sorted().forEach(ordered::add);
        return ordered;
    }

    private static Set<String> orderedSet(List<String> actions) {
        return new LinkedHashSet<>(actions);
    }
}
