package dev.imagedisk.csisanity;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetPluginInfoRequest;
import csi.v1.GetPluginInfoResponse;
import csi.v1.PluginCapability;
import csi.v1.ProbeRequest;
import csi.v1.ProbeResponse;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Identity service (upstream identity.go, and the spec's field rules). */
class IdentityTest extends SanityTest {
    @Test
    @DisplayName("GetPluginInfo: a valid name (≤ 63 characters, DNS-like) and a vendor_version")
    void pluginInfo() {
        GetPluginInfoResponse info = csi.identity().getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
        String name = info.getName();
        assertFalse(name.isEmpty(), "name is REQUIRED");
        assertTrue(name.length() <= 63, "name longer than 63 characters: " + name);
        assertTrue(name.matches("^[a-zA-Z][A-Za-z0-9-._]{0,61}[a-zA-Z]$"), "name is not a domain-like name: " + name);
        assertFalse(info.getVendorVersion().isEmpty(), "vendor_version is REQUIRED");
    }

    @Test
    @DisplayName("GetPluginCapabilities: only known services and expansion types, including CONTROLLER_SERVICE")
    void pluginCapabilities() {
        for (PluginCapability c : csi.identity()
                .getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList()) {
            switch (c.getTypeCase()) {
                case SERVICE ->
                    assertTrue(
                            c.getService().getTypeValue() > 0
                                    && c.getService().getType() != PluginCapability.Service.Type.UNRECOGNIZED,
                            "unknown service type " + c.getService().getTypeValue());
                case VOLUME_EXPANSION ->
                    assertTrue(
                            c.getVolumeExpansion().getTypeValue() > 0
                                    && c.getVolumeExpansion().getType()
                                            != PluginCapability.VolumeExpansion.Type.UNRECOGNIZED,
                            "unknown volume expansion type "
                                    + c.getVolumeExpansion().getTypeValue());
                default -> throw new AssertionError("capability without a type: " + Codes.oneLine(c));
            }
        }
        assertTrue(
                csi.has(PluginCapability.Service.Type.CONTROLLER_SERVICE),
                "this suite drives a plugin serving Controller and Node on one endpoint; CONTROLLER_SERVICE is "
                        + "not advertised");
    }

    @Test
    @DisplayName("Probe: OK and ready (unset means ready)")
    void probe() {
        ProbeResponse r = csi.identity().probe(ProbeRequest.getDefaultInstance());
        assertTrue(
                !r.hasReady() || r.getReady().getValue(),
                "a plugin that has just answered NodeGetInfo and the capability calls reports not ready");
    }
}
