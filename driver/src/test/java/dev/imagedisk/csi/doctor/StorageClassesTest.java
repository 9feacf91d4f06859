package dev.imagedisk.csi.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The doctor's reading of Kubernetes objects: the API's StorageClassList, kubectl's List, claims, quantities. */
class StorageClassesTest {
    @Test
    void theApisStorageClassListKeepsOnlyTheDriversClasses() throws IOException {
        StorageClasses classes = new StorageClasses("imagedisk.csi.dev").read("""
                {"kind":"StorageClassList","apiVersion":"storage.k8s.io/v1","metadata":{"resourceVersion":"1"},
                 "items":[
                  {"metadata":{"name":"runtime-lib"},"provisioner":"imagedisk.csi.dev",
                   "parameters":{"image":"projects/p/global/images/family/f","type":"pd-ssd"}},
                  {"metadata":{"name":"standard-rwo"},"provisioner":"pd.csi.storage.gke.io","parameters":{}}]}
                """, "api");
        assertEquals(
                List.of(new StorageClasses.StorageClass(
                        "runtime-lib", Map.of("image", "projects/p/global/images/family/f", "type", "pd-ssd"))),
                classes.classes());
    }

    @Test
    void claimsComeFromClaimsAndStatefulSetTemplatesOfSeveralDocuments() throws IOException {
        StorageClasses classes = new StorageClasses("imagedisk.csi.dev").read("""
                {"kind":"PersistentVolumeClaim","metadata":{"name":"data"},
                 "spec":{"storageClassName":"rt","resources":{"requests":{"storage":"20Gi"}}}}
                {"kind":"StatefulSet","metadata":{"name":"web"},"spec":{"volumeClaimTemplates":[
                 {"metadata":{"name":"lib"},"spec":{"storageClassName":"rt","resources":{"requests":{"storage":"30G"}}}},
                 {"metadata":{"name":"other"},"spec":{"storageClassName":"x","resources":{"requests":{"storage":"1Gi"}}}}]}}
                """, "file");
        List<StorageClasses.Claim> rt = classes.claims("rt");
        assertEquals(2, rt.size());
        assertEquals(20L << 30, rt.get(0).bytes());
        assertEquals(30_000_000_000L, rt.get(1).bytes());
        assertEquals("StatefulSet web volumeClaimTemplate lib (file)", rt.get(1).where());
    }

    @Test
    void quantities() {
        assertEquals(512L << 20, StorageClasses.bytes("512Mi"));
        assertEquals(1L << 40, StorageClasses.bytes("1Ti"));
        assertEquals(1073741824L, StorageClasses.bytes("1073741824"));
        assertThrows(IllegalArgumentException.class, () -> StorageClasses.bytes("20 gigs"));
    }
}
