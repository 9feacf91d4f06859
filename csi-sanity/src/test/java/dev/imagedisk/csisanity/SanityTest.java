package dev.imagedisk.csisanity;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Base of the conformance tests: the shared endpoint ({@link #csi}) and this test's {@link Resources}
 * ({@link #res}), undone after each test whether it passed or not.
 */
@ExtendWith(CsiExtension.class)
abstract class SanityTest {
    Csi csi;
    Resources res;

    @BeforeEach
    final void connect(Csi csi) {
        this.csi = csi;
        this.res = new Resources(csi);
    }

    @AfterEach
    final void undo() {
        if (res != null) {
            res.cleanup();
        }
    }
}
