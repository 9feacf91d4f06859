package dev.imagedisk.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.plugin.DoctorCommand;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** manifests/doctor: two Jobs running `plugin doctor` as the base's service accounts, with flags it accepts. */
class ManifestDoctorTest {
    private static List<Job> jobs() {
        return Manifests.objectsOf(Manifests.base().resolve("doctor")).stream()
                .filter(Job.class::isInstance)
                .map(Job.class::cast)
                .toList();
    }

    @Test
    void oneJobPerSideRunsTheDoctorWithFlagsItAccepts() {
        List<Job> jobs = jobs();
        assertEquals(2, jobs.size());
        Set<String> modes = jobs.stream()
                .map(j -> {
                    Container c =
                            j.getSpec().getTemplate().getSpec().getContainers().get(0);
                    List<String> args = c.getArgs();
                    assertEquals("doctor", args.get(0), j.getMetadata().getName() + ": the image runs `plugin ARGS`");
                    // parses as the image parses it (plugin doctor ARGS): an unknown flag fails here
                    new CommandLine(new DoctorCommand())
                            .setCaseInsensitiveEnumValuesAllowed(true)
                            .parseArgs(args.subList(1, args.size()).toArray(String[]::new));
                    assertTrue(ManifestChecks.isDriver(c), j.getMetadata().getName() + ": runs the driver image");
                    assertEquals(0, j.getSpec().getBackoffLimit(), "a failed check is not retried");
                    return args.stream()
                            .filter(a -> a.startsWith("--mode="))
                            .findFirst()
                            .orElseThrow();
                })
                .collect(Collectors.toSet());
        assertEquals(Set.of("--mode=controller", "--mode=node"), modes);
    }

    @Test
    void theJobsRunAsTheBasesServiceAccountsAndTheNodeOneAsTheNodePluginDoes() {
        Set<String> accounts = Manifests.objectsOf(Manifests.base()).stream()
                .filter(ServiceAccount.class::isInstance)
                .map(HasMetadata::getMetadata)
                .map(m -> m.getNamespace() + "/" + m.getName())
                .collect(Collectors.toSet());
        for (Job j : jobs()) {
            String sa = j.getMetadata().getNamespace() + "/"
                    + j.getSpec().getTemplate().getSpec().getServiceAccountName();
            assertTrue(accounts.contains(sa), j.getMetadata().getName() + " runs as " + sa + ", not in the base");
            Container c = j.getSpec().getTemplate().getSpec().getContainers().get(0);
            if (c.getArgs().contains("--mode=node")) {
                assertTrue(Boolean.TRUE.equals(c.getSecurityContext().getPrivileged()), "node checks need privileges");
                assertTrue(
                        c.getVolumeMounts().stream()
                                .anyMatch(m -> m.getMountPath().equals("/dev")),
                        "the node checks look at the host's /dev");
                assertEquals(true, j.getSpec().getTemplate().getSpec().getHostNetwork());
            } else {
                assertTrue(c.getArgs().contains("--storage-classes-from-cluster"), "the controller Job reads classes");
            }
        }
    }
}
