package dev.imagedisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {
    @ParameterizedTest
    @ValueSource(strings = {"unix:///csi/csi.sock", "unix:/csi/csi.sock"})
    void acceptsBothUnixForms(String value) {
        assertEquals(Path.of("/csi/csi.sock"), Endpoint.parse(value).socketPath());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "tcp://127.0.0.1:10000",
                "/csi/csi.sock",
                "unix://csi/csi.sock",
                "unix:csi.sock",
                "unix:///csi/../etc/csi.sock",
                "unix:///csi/",
                "unix:///",
                "http://localhost/x"
            })
    void refusesEverythingElse(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(value));
        assert e.getMessage().contains("endpoint") : e.getMessage();
    }

    @org.junit.jupiter.api.Test
    void refusesPathsLongerThanSunPath() {
        String longPath = "unix:///" + "a".repeat(120) + "/csi.sock";
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(longPath));
    }
}
