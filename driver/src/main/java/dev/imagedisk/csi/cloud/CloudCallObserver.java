package dev.imagedisk.csi.cloud;

import java.time.Duration;

/** Told about the cloud API traffic: each request and its outcome, retries, rate-limit waits, operations. */
public interface CloudCallObserver {
    /** One request sent; {@code outcome} is {@code ok} or the error's reason. */
    void request(String method, String outcome);

    /** A request about to be sent again after a rate-limit or quota answer. */
    void retry(String method);

    /** Time a caller waited for the client-side rate limit. */
    void rateLimitWait(Duration waited);

    /** A long-running operation seen DONE, {@code took} after it was started. */
    void operationDone(String operationType, Duration took);

    CloudCallObserver NONE = new CloudCallObserver() {
        @Override
        public void request(String method, String outcome) {}

        @Override
        public void retry(String method) {}

        @Override
        public void rateLimitWait(Duration waited) {}

        @Override
        public void operationDone(String operationType, Duration took) {}
    };
}
