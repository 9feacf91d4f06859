package dev.imagedisk.gce.emulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side: routes Compute Engine v1 REST calls and metadata-server reads, counts requests per
 * method, applies injected errors and the mutating rate limit, and writes Google's error bodies.
 */
final class HttpFrontend implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(HttpFrontend.class);
    static final Set<String> MUTATING = Set.of(
            "disks.insert",
            "disks.delete",
            "disks.resize",
            "disks.update",
            "images.insert",
            "images.delete",
            "instances.attachDisk",
            "instances.detachDisk");

    /** Which instance the metadata server describes. */
    record MetadataTarget(String project, String zone, String instance) {}

    private final ComputeService compute;
    private final Faults faults;
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private volatile MetadataTarget metadataTarget;
    private volatile boolean ready = true;
    private final java.util.function.ToLongFunction<String> projectNumber;

    HttpFrontend(ComputeService compute, Faults faults, java.util.function.ToLongFunction<String> projectNumber) {
        this.compute = compute;
        this.faults = faults;
        this.projectNumber = projectNumber;
    }

    void setMetadataTarget(MetadataTarget target) {
        this.metadataTarget = target;
    }

    /**
     * Whether requests are served; until then every request (Compute API and metadata) is answered 503 with
     * {@code Retry-After}, as a server that is still starting answers.
     */
    void setReady(boolean ready) {
        this.ready = ready;
    }

    MetadataTarget metadataTarget() {
        return metadataTarget;
    }

    long count(String method) {
        LongAdder a = counts.get(method);
        return a == null ? 0 : a.sum();
    }

    Map<String, Long> counts() {
        Map<String, Long> m = new java.util.TreeMap<>();
        counts.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    void resetCounts() {
        counts.clear();
    }

    private void countRequest(String method) {
        counts.computeIfAbsent(method, k -> new LongAdder()).increment();
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try {
            byte[] bodyBytes = ex.getRequestBody().readAllBytes();
            if (!ready) {
                ex.getResponseHeaders().set("Retry-After", "1");
                sendJson(
                        ex,
                        503,
                        errorBody(new GceException(
                                503,
                                "backendError",
                                "The emulator is still adding its images and instances; retry shortly.")));
                return;
            }
            String rawPath = ex.getRequestURI().getRawPath();
            if (log.isDebugEnabled()) {
                log.debug(
                        "{} {} {}",
                        ex.getRequestMethod(),
                        ex.getRequestURI(),
                        new String(bodyBytes, StandardCharsets.UTF_8));
            }
            List<String> segs = new ArrayList<>();
            for (String s : rawPath.split("/")) {
                if (!s.isEmpty()) {
                    segs.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
                }
            }
            if (!segs.isEmpty()
                    && (segs.get(0).equals("computeMetadata") || segs.get(0).equals("_metadata"))) {
                metadata(ex, segs);
                return;
            }
            Map<String, String> query = parseQuery(ex.getRequestURI().getRawQuery());
            String method = ex.getRequestMethod();
            String override = ex.getRequestHeaders().getFirst("X-HTTP-Method-Override");
            if (override != null && method.equals("POST")) {
                method = override;
            }
            try {
                Route route =
                        route(method, segs, bodyBytes, query, ex.getRequestURI().getRawQuery());
                if (route == null) {
                    throw new GceException(
                            404, "notFound", "The requested URL " + rawPath + " was not found on this server.");
                }
                countRequest(route.name);
                GceException injected = faults.takeInjectedError(route.name, () -> faultContext(segs, bodyBytes));
                if (injected != null) {
                    throw injected;
                }
                if (MUTATING.contains(route.name) && !faults.admitMutating()) {
                    throw new GceException(403, "rateLimitExceeded", "usageLimits", "Rate Limit Exceeded");
                }
                ObjectNode result = route.handler.get();
                sendJson(ex, 200, result);
            } catch (GceException e) {
                sendJson(ex, e.httpStatus(), errorBody(e));
            }
        } catch (RuntimeException e) {
            log.error("internal error serving {} {}", ex.getRequestMethod(), ex.getRequestURI(), e);
            sendJson(
                    ex,
                    500,
                    errorBody(new GceException(
                            500,
                            "backendError",
                            "Internal error. Please try again or contact Google Support. (" + e + ")")));
        } finally {
            ex.close();
        }
    }

    /**
     * What an injected {@link ComputeFailure} names for a call on {@code segs}: its project, its zone and its resource
     * (an attach: the disk in the body's {@code source}; an insert: the new disk's name).
     */
    private static ComputeFailure.Context faultContext(List<String> segs, byte[] bodyBytes) {
        String project = segs.size() > 3 ? segs.get(3) : null;
        String zone = segs.size() > 5 && segs.get(4).equals("zones") ? segs.get(5) : null;
        String resource = String.join("/", segs.subList(Math.min(3, segs.size()), segs.size()));
        resource = resource.isEmpty() ? "" : "projects/" + resource;
        try {
            if (zone != null && segs.size() >= 7) {
                String collection = segs.get(6);
                JsonNode body = bodyBytes.length == 0 ? null : Json.MAPPER.readTree(bodyBytes);
                if (collection.equals("instances")
                        && segs.size() == 9
                        && segs.get(8).equals("attachDisk")) {
                    Links.Zonal disk = Links.zonal(Json.text(body, "source"), "disks", project, zone);
                    if (disk != null) {
                        resource = Links.diskPath(disk.project(), disk.zone(), disk.name());
                    }
                } else if (collection.equals("disks") && segs.size() == 7 && Json.text(body, "name") != null) {
                    resource = Links.diskPath(project, zone, Json.text(body, "name"));
                } else if (segs.size() >= 8) {
                    resource = Links.zonePath(project, zone) + "/" + collection + "/" + segs.get(7);
                }
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable body: the failure names the path
        }
        return new ComputeFailure.Context(project, zone, resource);
    }

    static ObjectNode errorBody(GceException e) {
        ObjectNode root = Json.object();
        ObjectNode err = root.putObject("error");
        err.put("code", e.httpStatus());
        err.put("message", e.getMessage());
        ObjectNode e0 = err.putArray("errors").addObject();
        e0.put("message", e.getMessage());
        e0.put("domain", e.domain());
        e0.put("reason", e.reason());
        return root;
    }

    private record Route(String name, Supplier<ObjectNode> handler) {}

    private Route route(String method, List<String> s, byte[] bodyBytes, Map<String, String> q, String rawQuery) {
        // compute/v1/projects/{p}/...
        if (s.size() < 5
                || !s.get(0).equals("compute")
                || !s.get(1).equals("v1")
                || !s.get(2).equals("projects")) {
            return null;
        }
        String p = s.get(3);
        List<String> r = s.subList(4, s.size());
        int n = r.size();
        Supplier<JsonNode> body = () -> parseBody(bodyBytes);
        if (r.get(0).equals("aggregated") && n == 2 && r.get(1).equals("disks") && method.equals("GET")) {
            return new Route("disks.aggregatedList", () -> compute.disks.aggregatedListDisks(p, q));
        }
        if (r.get(0).equals("zones") && n >= 3) {
            String z = r.get(1);
            String coll = r.get(2);
            switch (coll) {
                case "disks":
                    if (n == 3 && method.equals("GET")) {
                        return new Route("disks.list", () -> compute.disks.listDisks(p, z, q));
                    }
                    if (n == 3 && method.equals("POST")) {
                        return new Route("disks.insert", () -> compute.disks.insertDisk(p, z, body.get(), q));
                    }
                    if (n == 4 && method.equals("GET")) {
                        return new Route("disks.get", () -> compute.disks.getDisk(p, z, r.get(3)));
                    }
                    if (n == 4 && method.equals("DELETE")) {
                        return new Route("disks.delete", () -> compute.disks.deleteDisk(p, z, r.get(3), q));
                    }
                    if (n == 4 && method.equals("PATCH")) {
                        return new Route(
                                "disks.update",
                                () -> compute.disks.updateDisk(
                                        p, z, r.get(3), body.get(), q, queryValues(rawQuery, "paths")));
                    }
                    if (n == 5 && method.equals("POST") && r.get(4).equals("testIamPermissions")) {
                        return new Route(
                                "disks.testIamPermissions", () -> compute.iam.testDisk(p, z, r.get(3), body.get()));
                    }
                    if (n == 5 && method.equals("POST") && r.get(4).equals("resize")) {
                        return new Route("disks.resize", () -> compute.disks.resizeDisk(p, z, r.get(3), body.get(), q));
                    }
                    return null;
                case "instances":
                    if (n == 3 && method.equals("GET")) {
                        return new Route("instances.list", () -> compute.instances.listInstances(p, z, q));
                    }
                    if (n == 4 && method.equals("GET")) {
                        return new Route("instances.get", () -> compute.instances.getInstance(p, z, r.get(3)));
                    }
                    if (n == 5 && method.equals("POST") && r.get(4).equals("attachDisk")) {
                        return new Route(
                                "instances.attachDisk",
                                () -> compute.instances.attachDisk(p, z, r.get(3), body.get(), q));
                    }
                    if (n == 5 && method.equals("POST") && r.get(4).equals("testIamPermissions")) {
                        return new Route(
                                "instances.testIamPermissions",
                                () -> compute.iam.testInstance(p, z, r.get(3), body.get()));
                    }
                    if (n == 5 && method.equals("POST") && r.get(4).equals("detachDisk")) {
                        return new Route("instances.detachDisk", () -> compute.instances.detachDisk(p, z, r.get(3), q));
                    }
                    return null;
                case "operations":
                    return operationRoute("zoneOperations", method, p, z, r.subList(3, n), q);
                default:
                    return null;
            }
        }
        if (r.get(0).equals("global") && n >= 2) {
            if (r.get(1).equals("images")) {
                if (n == 2 && method.equals("GET")) {
                    return new Route("images.list", () -> compute.images.listImages(p, q));
                }
                if (n == 2 && method.equals("POST")) {
                    return new Route("images.insert", () -> compute.images.insertImage(p, body.get(), q));
                }
                if (n == 3 && method.equals("GET")) {
                    return new Route("images.get", () -> compute.images.getImage(p, r.get(2)));
                }
                if (n == 3 && method.equals("DELETE")) {
                    return new Route("images.delete", () -> compute.images.deleteImage(p, r.get(2), q));
                }
                if (n == 4 && method.equals("POST") && r.get(3).equals("testIamPermissions")) {
                    return new Route("images.testIamPermissions", () -> compute.iam.testImage(p, r.get(2), body.get()));
                }
                if (n == 4 && method.equals("GET") && r.get(2).equals("family")) {
                    return new Route("images.getFromFamily", () -> compute.images.getImageFromFamily(p, r.get(3)));
                }
                return null;
            }
            if (r.get(1).equals("operations")) {
                return operationRoute("globalOperations", method, p, null, r.subList(2, n), q);
            }
        }
        return null;
    }

    private Route operationRoute(
            String service, String method, String p, String z, List<String> r, Map<String, String> q) {
        int n = r.size();
        if (n == 0 && method.equals("GET")) {
            return new Route(service + ".list", () -> compute.operations.listOperations(p, z, q));
        }
        if (n == 1 && method.equals("GET")) {
            return new Route(service + ".get", () -> compute.operations.getOperation(p, z, r.get(0)));
        }
        if (n == 1 && method.equals("DELETE")) {
            return new Route(service + ".delete", () -> {
                compute.operations.deleteOperation(p, z, r.get(0));
                return Json.object();
            });
        }
        if (n == 2 && method.equals("POST") && r.get(1).equals("wait")) {
            return new Route(service + ".wait", () -> compute.operations.waitOperation(p, z, r.get(0)));
        }
        return null;
    }

    private static JsonNode parseBody(byte[] bytes) {
        if (bytes.length == 0) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new GceException(400, "parseError", "Parse Error");
        } catch (IOException e) {
            throw new GceException(400, "parseError", "Parse Error");
        }
    }

    static Map<String, String> parseQuery(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return q;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            q.putIfAbsent(k, v);
        }
        return q;
    }

    /** Every value of a repeated query parameter, in order. */
    static List<String> queryValues(String raw, String key) {
        List<String> values = new ArrayList<>();
        if (raw == null || raw.isEmpty()) {
            return values;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            if (k.equals(key) || k.equals(key + "[]")) {
                values.add(eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    private static void sendJson(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    // --------------------------------------------------------------------------- metadata server

    /**
     * {@code /computeMetadata/v1/...} describes the instance chosen with
     * {@link #setMetadataTarget}; {@code /_metadata/{project}/{zone}/{instance}/computeMetadata/v1/...}
     * describes the named one, so several node plugins can share one emulator.
     */
    private void metadata(HttpExchange ex, List<String> segs) throws IOException {
        countRequest("metadata");
        ex.getResponseHeaders().set("Metadata-Flavor", "Google");
        GceException injected = faults.takeInjectedError("metadata");
        if (injected != null) {
            sendText(ex, injected.httpStatus(), injected.getMessage() + "\n");
            return;
        }
        MetadataTarget target = metadataTarget;
        List<String> s = segs;
        if (s.get(0).equals("_metadata")) {
            if (s.size() < 4) {
                sendText(ex, 404, "Not Found\n");
                return;
            }
            target = new MetadataTarget(s.get(1), s.get(2), s.get(3));
            s = s.subList(4, s.size());
        }
        if (!"Google".equals(ex.getRequestHeaders().getFirst("Metadata-Flavor"))
                || ex.getRequestHeaders().containsKey("X-Forwarded-For")) {
            sendText(ex, 403, "Missing required header: Metadata-Flavor: Google\n");
            return;
        }
        if (!ex.getRequestMethod().equals("GET")) {
            sendText(ex, 405, "Method Not Allowed\n");
            return;
        }
        if (s.size() < 3 || !s.get(0).equals("computeMetadata") || !s.get(1).equals("v1")) {
            sendText(ex, 404, "Not Found\n");
            return;
        }
        String key = String.join("/", s.subList(2, s.size()));
        if (target == null) {
            sendText(ex, 404, "Not Found: no instance is set for the metadata server\n");
            return;
        }
        long number = projectNumber.applyAsLong(target.project());
        String value;
        switch (key) {
            case "project/project-id":
                value = target.project();
                break;
            case "project/numeric-project-id":
                value = Long.toString(number);
                break;
            default: {
                Model.Instance inst = compute.findInstance(target.project(), target.zone(), target.instance());
                if (inst == null) {
                    sendText(ex, 404, "Not Found: instance " + target + " does not exist\n");
                    return;
                }
                switch (key) {
                    case "instance/name":
                        value = inst.name;
                        break;
                    case "instance/hostname":
                        value = inst.name + "." + inst.zone + ".c." + inst.project + ".internal";
                        break;
                    case "instance/id":
                        value = Long.toString(inst.id);
                        break;
                    case "instance/zone":
                        value = "projects/" + number + "/zones/" + inst.zone;
                        break;
                    case "instance/machine-type":
                        value = "projects/" + number + "/machineTypes/" + inst.machineType;
                        break;
                    default:
                        sendText(ex, 404, "Not Found\n");
                        return;
                }
            }
        }
        sendText(ex, 200, value);
    }

    private static void sendText(HttpExchange ex, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/text");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    static List<String> mutatingMethods() {
        return Arrays.asList(MUTATING.toArray(new String[0]));
    }
}
