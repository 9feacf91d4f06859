package dev.imagedisk.csi.server;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The one interceptor every CSI call passes: it logs each call once (method, ids, duration, status code)
 * and makes sure no call answers UNKNOWN — a stray exception or an UNKNOWN status becomes INTERNAL with a
 * message.
 */
public final class CallInterceptor implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger("dev.imagedisk.csi.rpc");

    /** Observes finished calls, e.g. for metrics. */
    public interface CallObserver {
        default void started(String method) {}

        void finished(String method, Status.Code code, long nanos);
    }

    private final CallObserver observer;

    public CallInterceptor() {
        this((m, c, n) -> {});
    }

    public CallInterceptor(CallObserver observer) {
        this.observer = observer;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        LoggedCall<Q, R> logged = new LoggedCall<>(call);
        ServerCall.Listener<Q> delegate;
        try {
            delegate = next.startCall(logged, headers);
        } catch (RuntimeException e) {
            logged.failInternal(e);
            return new ServerCall.Listener<>() {};
        }
        return new SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onMessage(Q message) {
                logged.fields = RequestFields.of(message);
                try {
                    super.onMessage(message);
                } catch (RuntimeException e) {
                    logged.failInternal(e);
                }
            }

            @Override
            public void onHalfClose() {
                try {
                    super.onHalfClose();
                } catch (RuntimeException e) {
                    logged.failInternal(e);
                }
            }
        };
    }

    private final class LoggedCall<Q, R> extends SimpleForwardingServerCall<Q, R> {
        private final long start = System.nanoTime();
        private final AtomicBoolean closed = new AtomicBoolean();
        private final String method;
        volatile Map<String, String> fields = Map.of();

        LoggedCall(ServerCall<Q, R> delegate) {
            super(delegate);
            this.method = delegate.getMethodDescriptor().getFullMethodName();
            observer.started(method);
        }

        void failInternal(RuntimeException e) {
            LOG.error("uncaught exception in {}", method, e);
            close(
                    Status.INTERNAL
                            .withDescription("internal error in " + method + ": " + e)
                            .withCause(e),
                    new Metadata());
        }

        @Override
        public void close(Status status, Metadata trailers) {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            if (status.getCode() == Status.Code.UNKNOWN) {
                String detail =
                        status.getDescription() != null ? status.getDescription() : String.valueOf(status.getCause());
                status = Status.INTERNAL
                        .withDescription("internal error: " + detail)
                        .withCause(status.getCause());
            }
            long nanos = System.nanoTime() - start;
            log(status, nanos);
            observer.finished(method, status.getCode(), nanos);
            super.close(status, trailers);
        }

        private void log(Status status, long nanos) {
            boolean ok = status.isOk();
            LoggingEventBuilder event = ok ? LOG.atInfo() : LOG.atWarn();
            event = event.addKeyValue("method", method);
            for (Map.Entry<String, String> f : fields.entrySet()) {
                event = event.addKeyValue(f.getKey(), f.getValue());
            }
            event = event.addKeyValue("duration_ms", String.format("%.1f", nanos / 1e6))
                    .addKeyValue("code", status.getCode().name());
            if (!ok && status.getDescription() != null) {
                event = event.addKeyValue("error", status.getDescription());
            }
            event.log("rpc");
        }
    }
}
