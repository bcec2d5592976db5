package dev.berth.registry.security;

import dev.berth.oci.Names;
import dev.berth.registry.support.RepositoryGlob;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The access rules of {@code berth.auth.rules}: decides what a user (or an anonymous client) may do. The token
 * endpoint grants the intersection of what was asked and what this allows; htpasswd mode checks requests against
 * it directly. Requests for resources that are not valid names (a {@code *} in a repository name, say) are never
 * granted, so a wildcard scope cannot widen a grant.
 */
public final class AccessPolicy {
    private static final Set<String> ALL = Set.of("pull", "push", "delete", "*");
    private final List<Rule> rules;
    private final Map<String, List<String>> groups;
    private final Set<String> adminUsers;
    private final String adminGroup;

    private record Rule(
            Set<String> users,
            Set<String> groups,
            String type,
            Pattern repository,
            Set<String> actions,
            boolean anonymous) {}

    public AccessPolicy(List<AuthProperties.AccessRule> rules, Map<String, List<String>> groups) {
        this(rules, groups, List.of(), "admins");
    }

    /** With the holders of the admin grant: {@code adminUsers} and the members of {@code adminGroup}. */
    public AccessPolicy(
            List<AuthProperties.AccessRule> rules,
            Map<String, List<String>> groups,
            List<String> adminUsers,
            String adminGroup) {
        this.adminUsers = Set.copyOf(adminUsers);
        this.adminGroup = adminGroup;
        this.groups = Map.copyOf(groups);
        List<Rule> compiled = new ArrayList<>();
        for (AuthProperties.AccessRule r : rules) {
            compiled.add(new Rule(
                    Set.copyOf(r.getUsers()),
                    Set.copyOf(r.getGroups()),
                    r.getType(),
                    RepositoryGlob.compile(r.getRepository()),
                    Set.copyOf(r.getActions()),
                    r.isAnonymous()));
        }
        this.rules = List.copyOf(compiled);
    }

    /**
     * What of {@code requested} the user gets; {@code user} is null for anonymous clients. Scopes that end up with
     * no action are left out, as the token protocol expects.
     */
    public List<ResourceScope> grant(String user, List<ResourceScope> requested) {
        List<ResourceScope> granted = new ArrayList<>();
        for (ResourceScope scope : requested) {
            Set<String> actions = new LinkedHashSet<>();
            for (String action : scope.actions()) {
                if (allows(user, scope.type(), scope.name(), action)) {
                    actions.add(action);
                }
            }
            if (!actions.isEmpty()) {
                granted.add(new ResourceScope(scope.type(), scope.name(), actions));
            }
        }
        return granted;
    }

    /** Whether the user (null: anonymous) may perform {@code action} on the resource. */
    public boolean allows(String user, String type, String name, String action) {
        if (ResourceScope.ADMIN.type().equals(type)
                && ResourceScope.ADMIN.name().equals(name)) {
            return ALL.contains(action) && isAdmin(user);
        }
        if (!validResource(type, name) || !ALL.contains(action)) {
            return false;
        }
        if (rules.isEmpty()) {
            // No rules: an open door for every authenticated user, closed for anonymous ones.
            return user != null;
        }
        for (Rule rule : rules) {
            if (!rule.type().equals(type) || !rule.repository().matcher(name).matches()) {
                continue;
            }
            if (rule.anonymous() && action.equals("pull")) {
                return true;
            }
            if (user != null
                    && appliesTo(rule, user)
                    && (rule.actions().contains("*") || rule.actions().contains(action))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the user (null: anonymous) may perform {@code action} on some repository whose name starts with
     * {@code prefix}; false lets a listing skip everything below it. May answer true where no name qualifies.
     */
    public boolean mayAllowUnder(String user, String prefix, String action) {
        if (rules.isEmpty()) {
            return user != null;
        }
        for (Rule rule : rules) {
            boolean grants = rule.anonymous() && action.equals("pull")
                    || user != null
                            && appliesTo(rule, user)
                            && (rule.actions().contains("*") || rule.actions().contains(action));
            if (grants && rule.type().equals("repository")) {
                Matcher matcher = rule.repository().matcher(prefix);
                // A glob is a plain regular expression: running out of input means a longer name may match.
                if (matcher.matches() || matcher.hitEnd()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether some rule lets anonymous clients pull (some repositories). */
    public boolean anonymousMayPull() {
        return rules.stream().anyMatch(Rule::anonymous);
    }

    /** Whether the user has the admin grant ({@code /admin/**}); never an anonymous one. */
    public boolean isAdmin(String user) {
        if (user == null || user.isEmpty()) {
            return false;
        }
        return adminUsers.contains(user)
                || (adminGroup != null
                        && groups.getOrDefault(adminGroup, List.of()).contains(user));
    }

    private boolean appliesTo(Rule rule, String user) {
        if (rule.users().contains("*") || rule.users().contains(user)) {
            return true;
        }
        for (String group : rule.groups()) {
            if (groups.getOrDefault(group, List.of()).contains(user)) {
                return true;
            }
        }
        return false;
    }

    private static boolean validResource(String type, String name) {
        return switch (type) {
            case "repository" -> Names.isRepository(name);
            case "registry" -> name.equals("catalog");
            default -> false;
        };
    }
}
