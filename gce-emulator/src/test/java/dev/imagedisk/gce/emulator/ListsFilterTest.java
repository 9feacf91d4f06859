package dev.imagedisk.gce.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** List filters as long as the driver's operation tracker sends them. */
class ListsFilterTest {
    private static List<ObjectNode> operations(int n) {
        List<ObjectNode> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ObjectNode op = Json.object();
            op.put("name", "operation-1764558000000-" + String.format("%05d", i) + "-a1b2c3d4-e5f6a7b8");
            op.put("status", i % 2 == 0 ? "DONE" : "RUNNING");
            items.add(op);
        }
        return items;
    }

    @Test
    void aNameRegexOfHundredsOfAlternativesIsReadWithoutRunningOutOfStack() {
        List<ObjectNode> items = operations(500);
        List<String> wanted = IntStream.range(0, 500)
                .filter(i -> i % 3 == 0)
                .mapToObj(i -> items.get(i).path("name").asText())
                .collect(Collectors.toList());
        String filter = "name eq \"(" + String.join("|", wanted) + ")\"";

        List<ObjectNode> selected = Lists.filter(items, filter);

        assertEquals(wanted, selected.stream().map(n -> n.path("name").asText()).collect(Collectors.toList()));
    }

    @Test
    void aLongQuotedValueWithEscapesIsOneTerm() {
        List<ObjectNode> items = operations(4);
        String name = items.get(1).path("name").asText();
        String filter = "(status = \"RUNNING\") AND (name = \"" + name + "\")";

        assertEquals(1, Lists.filter(items, filter).size());
    }
}
