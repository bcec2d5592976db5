package dev.berth.puller.snapshot;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Puts the caller's {@code containerd-namespace} gRPC header in the context, null when absent (containerd sends
 * it on some paths only; {@link Snapshotter#namespace} says what decides then).
 */
final class NamespaceInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> HEADER =
            Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> NAMESPACE = Context.key("containerd-namespace");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String ns = headers.get(HEADER);
        Context context = Context.current().withValue(NAMESPACE, ns == null || ns.isEmpty() ? null : ns);
        return Contexts.interceptCall(context, call, headers, next);
    }
}
