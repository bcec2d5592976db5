package dev.berth.registry.observe;

/** Receives every finished request from {@link ObservingWebFilter}; must not block. */
@FunctionalInterface
public interface ExchangeListener {
    void finished(ExchangeRecord exchange);
}
