package dev.imagedisk.csi.server;

import io.grpc.testing.GrpcCleanupRule;
import java.lang.reflect.Method;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;

/**
 * grpc-testing's {@link GrpcCleanupRule} for JUnit 5: a test method taking a {@code GrpcCleanupRule} parameter
 * gets a fresh rule, and the test runs inside it, so every server and channel it registers is shut down (and
 * awaited, then forced) when the test ends, pass or fail.
 */
public final class GrpcCleanup implements ParameterResolver, InvocationInterceptor {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(GrpcCleanup.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == GrpcCleanupRule.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return rule(context);
    }

    @Override
    public void interceptTestMethod(
            Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext,
            ExtensionContext context)
            throws Throwable {
        rule(context)
                .apply(
                        new Statement() {
                            @Override
                            public void evaluate() throws Throwable {
                                invocation.proceed();
                            }
                        },
                        Description.EMPTY)
                .evaluate();
    }

    private static GrpcCleanupRule rule(ExtensionContext context) {
        return context.getStore(NS).getOrComputeIfAbsent("rule", k -> new GrpcCleanupRule(), GrpcCleanupRule.class);
    }
}
