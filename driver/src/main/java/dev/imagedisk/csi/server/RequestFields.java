package dev.imagedisk.csi.server;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Picks the identifying fields of a CSI request for the call log: volume, node, snapshot ids and the
 * create name. Only these named string fields are read, so secrets and mount flags never reach a log.
 */
final class RequestFields {
    private static final List<String> LOGGED = List.of("volume_id", "name", "node_id", "snapshot_id");

    private RequestFields() {}

    static Map<String, String> of(Object request) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!(request instanceof Message message)) {
            return out;
        }
        for (String name : LOGGED) {
            FieldDescriptor field = message.getDescriptorForType().findFieldByName(name);
            if (field == null || field.isRepeated() || field.getJavaType() != FieldDescriptor.JavaType.STRING) {
                continue;
            }
            String value = (String) message.getField(field);
            if (!value.isEmpty()) {
                out.put(name, value);
            }
        }
        return out;
    }
}
