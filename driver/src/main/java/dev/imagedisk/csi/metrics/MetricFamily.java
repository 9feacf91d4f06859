package dev.imagedisk.csi.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One metric (a counter, a gauge or a histogram with fixed buckets) and its series, one per set of label values,
 * written in the Prometheus text exposition format (version 0.0.4). The driver has a handful of metrics; this
 * replaces a client library whose ~120 classes every node plugin loaded at start (docs/performance.md, B4).
 */
final class MetricFamily {
    enum Type {
        COUNTER,
        GAUGE,
        HISTOGRAM
    }

    final String name;
    private final String help;
    private final Type type;
    private final List<String> labelNames;
    /** Label positions in the order of their names: the text format sorts a series' labels by name. */
    private final int[] byName;

    private final double[] upperBounds;
    private final Map<List<String>, Series> series = new ConcurrentHashMap<>();

    private MetricFamily(String name, String help, Type type, double[] upperBounds, String... labelNames) {
        this.name = name;
        this.help = help;
        this.type = type;
        this.labelNames = List.of(labelNames);
        this.byName = java.util.stream.IntStream.range(0, labelNames.length)
                .boxed()
                .sorted(Comparator.comparing(i -> labelNames[i]))
                .mapToInt(Integer::intValue)
                .toArray();
        this.upperBounds = upperBounds == null ? new double[0] : upperBounds.clone();
        if (labelNames.length == 0) {
            series.put(List.of(), new Series(this.upperBounds.length)); // shown from the start, at 0
        }
    }

    static MetricFamily counter(String name, String help, String... labelNames) {
        return new MetricFamily(name, help, Type.COUNTER, null, labelNames);
    }

    static MetricFamily gauge(String name, String help, String... labelNames) {
        return new MetricFamily(name, help, Type.GAUGE, null, labelNames);
    }

    static MetricFamily histogram(String name, String help, double[] upperBounds, String... labelNames) {
        for (int i = 1; i < upperBounds.length; i++) {
            if (upperBounds[i] <= upperBounds[i - 1]) {
                throw new IllegalArgumentException(name + ": bucket bounds must increase");
            }
        }
        return new MetricFamily(name, help, Type.HISTOGRAM, upperBounds, labelNames);
    }

    /** The series of these label values (in the order of the label names), made on first use. */
    Series labels(String... values) {
        if (values.length != labelNames.size()) {
            throw new IllegalArgumentException(
                    name + " takes " + labelNames.size() + " label values, not " + values.length);
        }
        for (String v : values) {
            if (v == null) {
                throw new IllegalArgumentException(name + ": a label value is null");
            }
        }
        return series.computeIfAbsent(List.of(values), k -> new Series(upperBounds.length));
    }

    /** The sum of the values of the series whose label {@code label} is {@code value}. */
    double sum(String label, String value) {
        int i = labelNames.indexOf(label);
        double total = 0;
        for (Map.Entry<List<String>, Series> e : series.entrySet()) {
            if (e.getKey().get(i).equals(value)) {
                total += e.getValue().value();
            }
        }
        return total;
    }

    /** Writes the family (nothing while it has no series): HELP, TYPE, then the series sorted by label values. */
    void write(StringBuilder out) {
        List<List<String>> keys = new ArrayList<>(series.keySet());
        if (keys.isEmpty()) {
            return;
        }
        keys.sort(this::compare);
        out.append("# HELP ")
                .append(name)
                .append(' ')
                .append(escape(help, false))
                .append('\n');
        out.append("# TYPE ")
                .append(name)
                .append(' ')
                .append(type.name().toLowerCase(java.util.Locale.ROOT))
                .append('\n');
        for (List<String> key : keys) {
            Series s = series.get(key);
            if (type != Type.HISTOGRAM) {
                out.append(name);
                labels(out, key, null);
                out.append(' ').append(number(s.value())).append('\n');
                continue;
            }
            long[] counts;
            long count;
            double sum;
            synchronized (s) {
                counts = s.buckets.clone();
                count = s.count;
                sum = s.value;
            }
            long cumulative = 0;
            for (int i = 0; i <= upperBounds.length; i++) {
                cumulative += counts[i];
                out.append(name).append("_bucket");
                labels(out, key, i < upperBounds.length ? number(upperBounds[i]) : "+Inf");
                out.append(' ').append(cumulative).append('\n');
            }
            out.append(name).append("_count");
            labels(out, key, null);
            out.append(' ').append(count).append('\n');
            out.append(name).append("_sum");
            labels(out, key, null);
            out.append(' ').append(number(sum)).append('\n');
        }
    }

    /** Series in the order of their label values, taken in the order of the label names. */
    private int compare(List<String> a, List<String> b) {
        for (int i : byName) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private void labels(StringBuilder out, List<String> values, String le) {
        if (values.isEmpty() && le == null) {
            return;
        }
        out.append('{');
        for (int n = 0; n < byName.length; n++) {
            int i = byName[n];
            out.append(n == 0 ? "" : ",")
                    .append(labelNames.get(i))
                    .append("=\"")
                    .append(escape(values.get(i), true))
                    .append('"');
        }
        if (le != null) {
            out.append(values.isEmpty() ? "" : ",").append("le=\"").append(le).append('"');
        }
        out.append('}');
    }

    /** Backslash and newline escaped (and, in a label value, the double quote), as the text format requires. */
    static String escape(String s, boolean labelValue) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '"' -> b.append(labelValue ? "\\\"" : "\"");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static String number(double d) {
        if (d == Double.POSITIVE_INFINITY) {
            return "+Inf";
        }
        if (d == Double.NEGATIVE_INFINITY) {
            return "-Inf";
        }
        return Double.toString(d);
    }

    /** One series: a counter's or gauge's value, or a histogram's bucket counts, count and sum. */
    final class Series {
        private final long[] buckets; // per bucket, the last one for +Inf
        private long count;
        private double value;

        private Series(int bounds) {
            this.buckets = new long[type == Type.HISTOGRAM ? bounds + 1 : 0];
        }

        /** Adds {@code amount} to a counter (never negative) or a gauge. */
        synchronized void inc(double amount) {
            if (type == Type.COUNTER && !(amount >= 0)) {
                throw new IllegalArgumentException(name + ": a counter cannot go down (" + amount + ")");
            }
            value += amount;
        }

        synchronized void observe(double v) {
            int i = 0;
            while (i < upperBounds.length && v > upperBounds[i]) {
                i++;
            }
            buckets[i]++;
            count++;
            value += v;
        }

        synchronized double value() {
            return value;
        }

        @Override
        public synchronized String toString() {
            return name + " " + value + (type == Type.HISTOGRAM ? " " + Arrays.toString(buckets) : "");
        }
    }
}
