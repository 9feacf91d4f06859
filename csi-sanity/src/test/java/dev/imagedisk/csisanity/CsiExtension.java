package dev.imagedisk.csisanity;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves the {@link Csi} parameter: one endpoint for the whole run, started on first use and kept in
 * the root store, which closes it (stopping the local stack) once every test class has run. When the
 * environment cannot run the local stack, every test that needs it is skipped with the reason; when the
 * start failed, every such test fails with the cause (the start is not retried).
 */
final class CsiExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(CsiExtension.class);

    /** The started endpoint or why there is none; closed by JUnit with the root context. */
    static final class Holder implements AutoCloseable {
        final Csi csi;
        final RuntimeException failure;

        Holder(Csi csi, RuntimeException failure) {
            this.csi = csi;
            this.failure = failure;
        }

        static Holder start() {
            try {
                return new Holder(Csi.start(), null);
            } catch (Csi.NotRunnable e) {
                return new Holder(null, e);
            } catch (Exception e) {
                return new Holder(null, new IllegalStateException("could not start the endpoint under test: " + e, e));
            }
        }

        @Override
        public void close() {
            if (csi != null) {
                csi.close();
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Csi.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context)
            throws ParameterResolutionException {
        return csi(context);
    }

    static Csi csi(ExtensionContext context) {
        Holder h = context.getRoot().getStore(NS).computeIfAbsent(Holder.class, k -> Holder.start(), Holder.class);
        if (h.failure instanceof Csi.NotRunnable) {
            Assumptions.abort(h.failure.getMessage());
        }
        if (h.failure != null) {
            throw h.failure;
        }
        return h.csi;
    }
}
