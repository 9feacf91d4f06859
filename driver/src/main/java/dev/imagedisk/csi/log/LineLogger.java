package dev.imagedisk.csi.log;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;
import org.slf4j.helpers.FormattingTuple;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.LoggingEventAware;

/** A logger of {@link LineLoggerProvider}: formats the message and writes one line, when its level is on. */
final class LineLogger extends LegacyAbstractLogger implements LoggingEventAware {
    private static final long serialVersionUID = 1L;

    LineLogger(String name) {
        this.name = name;
    }

    private boolean on(Level level) {
        return level.toInt() >= LineLoggerProvider.threshold(name, LineLoggerProvider.settings.rootLevel());
    }

    @Override
    public boolean isTraceEnabled() {
        return on(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
        return on(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return on(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
        return on(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
        return on(Level.ERROR);
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(
            Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
        FormattingTuple formatted = MessageFormatter.arrayFormat(pattern, arguments, throwable);
        LineLoggerProvider.write(name, level, formatted.getMessage(), null, formatted.getThrowable());
    }

    /** The fluent API's events ({@code atInfo().addKeyValue(...).log(...)}), with their key-value pairs. */
    @Override
    public void log(LoggingEvent event) {
        if (!on(event.getLevel())) {
            return;
        }
        List<LogLines.Pair> pairs = null;
        if (event.getKeyValuePairs() != null && !event.getKeyValuePairs().isEmpty()) {
            pairs = new ArrayList<>();
            for (KeyValuePair kv : event.getKeyValuePairs()) {
                pairs.add(new LogLines.Pair(kv.key, kv.value));
            }
        }
        FormattingTuple formatted =
                MessageFormatter.arrayFormat(event.getMessage(), event.getArgumentArray(), event.getThrowable());
        LineLoggerProvider.write(name, event.getLevel(), formatted.getMessage(), pairs, formatted.getThrowable());
    }
}
