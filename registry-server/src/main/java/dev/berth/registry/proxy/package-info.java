/**
 * The pull-through cache: Berth as a mirror of other registries ({@code berth.proxy.*}).
 *
 * <p>Each upstream is served under a local repository prefix and cached there through the ordinary stores, so
 * cached content is read, garbage-collected and access-controlled like any repository:
 * {@link dev.berth.registry.proxy.Upstreams} routes names, {@link dev.berth.registry.proxy.UpstreamClient}
 * speaks to one upstream (auth included, without blocking), {@link dev.berth.registry.proxy.PullThroughCache}
 * fetches and verifies into storage with one fetch per object at a time, and
 * {@link dev.berth.registry.proxy.ProxyRoutes} hooks all of it into the route table.
 */
package dev.berth.registry.proxy;
