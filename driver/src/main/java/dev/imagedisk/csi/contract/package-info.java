/**
 * The controller–node contract, defined once: volume, node and image (snapshot) ids, Compute Engine's naming
 * rules, the topology, publish-context and volume-context keys, and the access-mode policy of a zonal disk.
 * Both sides take every decision about ids and modes from here; this package depends on nothing of the driver.
 */
package dev.imagedisk.csi.contract;
