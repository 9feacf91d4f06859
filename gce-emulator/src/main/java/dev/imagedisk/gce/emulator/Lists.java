package dev.imagedisk.gce.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * List pages as Compute Engine returns them: {@code kind}, {@code id}, {@code items} (absent when
 * empty), {@code nextPageToken}, {@code selfLink}; {@code maxResults} 0..500 (default 500), an
 * opaque {@code pageToken}, and a minimal {@code filter}: terms {@code FIELD = VALUE},
 * {@code FIELD != VALUE}, {@code FIELD : VALUE} (substring; {@code *} wildcards), {@code FIELD eq
 * REGEX}, {@code FIELD ne REGEX}, optionally parenthesized, joined by {@code AND} or blanks;
 * FIELD is a dotted path into the resource, e.g. {@code labels.app} or {@code status}.
 */
final class Lists {
    private static final Pattern TERM =
            Pattern.compile("\\s*\\(?\\s*([A-Za-z][A-Za-z0-9_.\\-]*)\\s*(!=|=|:|\\beq\\b|\\bne\\b)\\s*"
                    + "(\"(?:[^\"\\\\]++|\\\\.)*+\"|'[^']*+'|[^\\s()]++)\\s*\\)?\\s*(?:(?i:AND)\\s+)?");

    private Lists() {}

    static ObjectNode page(String kind, String id, String selfLink, List<ObjectNode> items, Map<String, String> query) {
        int max = 500;
        String maxParam = query.get("maxResults");
        if (maxParam != null && !maxParam.isEmpty()) {
            try {
                max = Integer.parseInt(maxParam);
            } catch (NumberFormatException e) {
                throw GceException.invalidField("maxResults", maxParam, "Must be an integer.");
            }
            if (max < 0 || max > 500) {
                throw GceException.invalidField("maxResults", maxParam, "Must be less than or equal to 500");
            }
            if (max == 0) {
                max = 500;
            }
        }
        List<ObjectNode> selected = filter(items, query.get("filter"));
        selected.sort(Comparator.comparing(n -> n.path("name").asText()));
        String token = query.get("pageToken");
        int start = 0;
        if (token != null && !token.isEmpty()) {
            String after;
            try {
                after = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw GceException.invalidField("pageToken", token, "Invalid page token.");
            }
            if (!after.startsWith("after:")) {
                throw GceException.invalidField("pageToken", token, "Invalid page token.");
            }
            String last = after.substring("after:".length());
            while (start < selected.size()
                    && selected.get(start).path("name").asText().compareTo(last) <= 0) {
                start++;
            }
        }
        int end = Math.min(selected.size(), start + max);
        ObjectNode n = Json.object();
        n.put("kind", kind);
        n.put("id", id);
        if (end > start) {
            ArrayNode arr = n.putArray("items");
            for (int i = start; i < end; i++) {
                arr.add(selected.get(i));
            }
        }
        if (end < selected.size()) {
            String last = selected.get(end - 1).path("name").asText();
            n.put(
                    "nextPageToken",
                    Base64.getUrlEncoder()
                            .withoutPadding()
                            .encodeToString(("after:" + last).getBytes(StandardCharsets.UTF_8)));
        }
        n.put("selfLink", selfLink);
        return n;
    }

    /**
     * One page of an aggregated list: {@code items} maps each scope (e.g. {@code zones/Z}) to
     * {@code {"<collection>": [...]}}; resources are ordered by scope, then name, and paged across
     * scopes with the same {@code maxResults}/{@code pageToken} rules as {@link #page}.
     */
    static ObjectNode aggregatedPage(
            String kind,
            String id,
            String selfLink,
            String collection,
            Map<String, List<ObjectNode>> itemsByScope,
            Map<String, String> query) {
        List<ObjectNode> keyed = new ArrayList<>();
        for (Map.Entry<String, List<ObjectNode>> scope : itemsByScope.entrySet()) {
            for (ObjectNode item : filter(scope.getValue(), query.get("filter"))) {
                ObjectNode k = Json.object();
                k.put("name", scope.getKey() + "/" + item.path("name").asText());
                k.put("scope", scope.getKey());
                k.set("item", item);
                keyed.add(k);
            }
        }
        Map<String, String> unfiltered = new java.util.HashMap<>(query);
        unfiltered.remove("filter");
        ObjectNode flat = page(kind, id, selfLink, keyed, unfiltered);
        ObjectNode n = Json.object();
        n.put("kind", kind);
        n.put("id", id);
        ObjectNode items = n.putObject("items");
        for (JsonNode k : flat.path("items")) {
            ObjectNode scope = (ObjectNode) items.get(k.path("scope").asText());
            if (scope == null) {
                scope = items.putObject(k.path("scope").asText());
                scope.putArray(collection);
            }
            ((ArrayNode) scope.get(collection)).add(k.get("item"));
        }
        if (flat.has("nextPageToken")) {
            n.put("nextPageToken", flat.get("nextPageToken").asText());
        }
        n.put("selfLink", selfLink);
        return n;
    }

    private record Term(String field, String op, String value) {}

    static List<ObjectNode> filter(List<ObjectNode> items, String filter) {
        List<ObjectNode> out = new ArrayList<>(items);
        if (filter == null || filter.isBlank()) {
            return out;
        }
        List<Term> terms = new ArrayList<>();
        Matcher m = TERM.matcher(filter);
        int pos = 0;
        while (pos < filter.length()) {
            if (!m.find(pos) || m.start() != pos || m.end() == pos) {
                throw GceException.invalidField("filter", filter, "Invalid list filter expression.");
            }
            String v = m.group(3);
            if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
                v = v.substring(1, v.length() - 1).replace("\\\"", "\"");
            }
            terms.add(new Term(m.group(1), m.group(2), v));
            pos = m.end();
        }
        out.removeIf(n -> !terms.stream().allMatch(t -> matches(n, t, filter)));
        return out;
    }

    private static boolean matches(ObjectNode n, Term t, String filter) {
        JsonNode v = n;
        for (String part : t.field().split("\\.")) {
            v = v == null ? null : v.get(part);
        }
        String actual = v == null || v.isNull() || v.isContainerNode() ? null : v.asText();
        try {
            switch (t.op()) {
                case "=":
                    return actual != null && actual.equals(t.value());
                case "!=":
                    return actual == null || !actual.equals(t.value());
                case ":":
                    if (t.value().equals("*")) {
                        return v != null && !v.isNull();
                    }
                    return actual != null
                            && Pattern.compile(Pattern.quote(t.value()).replace("*", "\\E.*\\Q"))
                                    .matcher(actual)
                                    .find();
                case "eq":
                    return actual != null
                            && Pattern.compile(t.value()).matcher(actual).matches();
                case "ne":
                    return actual == null
                            || !Pattern.compile(t.value()).matcher(actual).matches();
                default:
                    return false;
            }
        } catch (PatternSyntaxException e) {
            throw GceException.invalidField("filter", filter, "Invalid regular expression.");
        }
    }
}
