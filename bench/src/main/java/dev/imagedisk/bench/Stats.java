package dev.imagedisk.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Order statistics of a sample (nearest-rank percentiles), in whatever unit the values are. */
record Stats(int n, double min, double p50, double p99, double max) {
    static Stats of(List<Double> values) {
        if (values.isEmpty()) {
            return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return new Stats(
                sorted.size(),
                sorted.get(0),
                percentile(sorted, 50),
                percentile(sorted, 99),
                sorted.get(sorted.size() - 1));
    }

    /** Nearest rank: the smallest value with at least {@code p}% of the sample at or below it. */
    static double percentile(List<Double> sorted, double p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    /** The median (mean of the middle two for an even count). */
    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    static double millis(long nanos) {
        return nanos / 1e6;
    }
}
