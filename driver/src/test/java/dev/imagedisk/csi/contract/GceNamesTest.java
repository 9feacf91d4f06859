package dev.imagedisk.csi.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Compute Engine's name rules and the request-name-to-resource-name derivation. */
class GceNamesTest {
    @ParameterizedTest
    @ValueSource(strings = {"a", "pvc-0b5c1a9e-1111-4222-8333-944445555666", "a1", "x-y-z"})
    void validNames(String name) {
        assertTrue(GceNames.isName(name), name);
        assertTrue(GceNames.isName("a".repeat(63)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "A", "Upper", "1abc", "-a", "a-", "a_b", "a.b", "a/b", "..", "a b", "ü"})
    void invalidNames(String name) {
        assertFalse(GceNames.isName(name), name);
        assertFalse(GceNames.isName("a".repeat(64)), "64 characters");
        assertFalse(GceNames.isName(null));
    }

    @Test
    void projectsAndZones() {
        assertTrue(GceNames.isProject("my-project"));
        assertTrue(GceNames.isProject("example.com:my-project"));
        assertFalse(GceNames.isProject(""));
        assertFalse(GceNames.isProject("My-Project"));
        assertFalse(GceNames.isProject("a/b"));
        assertTrue(GceNames.isZone("us-central1-a"));
        assertFalse(GceNames.isZone("US-CENTRAL1-A"));
        assertFalse(GceNames.isZone(".."));
    }

    @Test
    void validRequestNamesPassThrough() {
        assertEquals(
                "pvc-0b5c1a9e-1111-4222-8333-944445555666",
                GceNames.derive("pvc-0b5c1a9e-1111-4222-8333-944445555666"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Upper",
                "with.dots",
                "9starts-with-digit",
                "-dash",
                "ends-with-dash-",
                "___",
                "sanity-controller-create-maxlen-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        + "aaaaaaaaaaaaaaaaaaaaaa",
                "ünïcode",
                "",
                "../../etc"
            })
    void otherNamesBecomeValidNames(String name) {
        String d = GceNames.derive(name);
        assertTrue(GceNames.isName(d) && d.length() <= GceNames.MAX_NAME_LENGTH, d);
        assertEquals(d, GceNames.derive(name), "deterministic");
    }

    @Test
    void differentNamesNeverShareADisk() {
        Set<String> seen = new HashSet<>();
        String base = "x".repeat(120);
        for (int i = 0; i < 2000; i++) {
            assertTrue(seen.add(GceNames.derive(base + i)));
            assertTrue(seen.add(GceNames.derive("Name." + i)));
        }
        assertNotEquals(GceNames.derive("A"), GceNames.derive("a-"));
    }
}
