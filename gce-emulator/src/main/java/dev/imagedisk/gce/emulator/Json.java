package dev.imagedisk.gce.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** JSON and time helpers shared by the emulator. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    /** RFC 3339 with milliseconds and a numeric offset, as Compute Engine prints it. */
    private static final DateTimeFormatter RFC3339 =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSxxx").withZone(ZoneOffset.UTC);

    private Json() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static String timestamp(Instant t) {
        return RFC3339.format(t);
    }

    static String now() {
        return timestamp(Instant.now());
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** An int64 field as Compute Engine accepts it: a JSON string or a number. */
    static Long int64(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isIntegralNumber()) {
            return v.asLong();
        }
        String s = v.asText().trim();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw GceException.invalidField(field, s, "Must be an integer.");
        }
    }

    static Boolean bool(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        return v.isBoolean() ? v.booleanValue() : Boolean.parseBoolean(v.asText());
    }

    /** Writes a value Compute Engine types as int64/uint64: a JSON string. */
    static void putInt64(ObjectNode node, String field, long value) {
        node.put(field, Long.toString(value));
    }
}
