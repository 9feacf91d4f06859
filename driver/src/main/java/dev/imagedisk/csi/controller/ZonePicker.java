package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;

import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import dev.imagedisk.csi.contract.Keys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Chooses the zone of a new disk from CreateVolume's accessibility requirements: the first preferred
 * zone; else one of the requisite zones, spread by a hash of the volume name (stable across retries);
 * else the controller's default zone.
 */
public final class ZonePicker {
    private final String defaultZone;

    public ZonePicker(String defaultZone) {
        this.defaultZone = defaultZone;
    }

    public String pick(TopologyRequirement requirement, String volumeName) {
        List<String> preferred = zones(requirement.getPreferredList());
        if (!preferred.isEmpty()) {
            return preferred.get(0);
        }
        List<String> requisite = zones(requirement.getRequisiteList());
        if (!requisite.isEmpty()) {
            CRC32 crc = new CRC32();
            crc.update(volumeName.getBytes(StandardCharsets.UTF_8));
            return requisite.get((int) (crc.getValue() % requisite.size()));
        }
        if (requirement.getRequisiteCount() > 0) {
            throw invalidArgument("accessibility_requirements.requisite names no %s segment", Keys.TOPOLOGY_ZONE);
        }
        return defaultZone;
    }

    /**
     * The zones a volume may be placed in: the requisite zones; empty when there are none (any zone). Preferred
     * zones never bind: the CSI spec lets a volume that cannot be placed in them be made elsewhere (a clone, which
     * stays in its source's zone).
     */
    public static List<String> allowedZones(TopologyRequirement requirement) {
        if (requirement == null) {
            return List.of();
        }
        return zones(requirement.getRequisiteList());
    }

    private static List<String> zones(List<Topology> topologies) {
        List<String> zones = new ArrayList<>();
        for (Topology t : topologies) {
            String z = t.getSegmentsMap().get(Keys.TOPOLOGY_ZONE);
            if (z != null && !z.isBlank() && !zones.contains(z)) {
                zones.add(z);
            }
        }
        return zones;
    }
}
