package dev.imagedisk.gce.emulator;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A test through the real google-cloud-compute client: before each test an emulator (no storage)
 * and {@link Clients} on it, both closed after it. Subclasses add their records in their own
 * {@code @BeforeEach}, which runs after this one.
 */
abstract class ClientTestBase {
    GceEmulator emu;
    Clients c;

    /** The emulator to start; by default without storage, operations waited on for 10 s. */
    GceEmulator.Builder emulator() {
        return GceEmulator.builder().storage(false).waitTimeout(Duration.ofSeconds(10));
    }

    @BeforeEach
    void startEmulator() throws Exception {
        emu = emulator().start();
        c = new Clients(emu.baseUrl());
    }

    @AfterEach
    void stopEmulator() {
        if (c != null) {
            c.close();
        }
        if (emu != null) {
            emu.close();
        }
    }
}
