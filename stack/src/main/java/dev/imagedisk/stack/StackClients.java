package dev.imagedisk.stack;

import dev.imagedisk.csi.server.CsiChannels;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The orchestrator's connections to a {@link LocalStack}: the controller socket (external-provisioner and
 * external-attacher) and each node's socket (its kubelet). With one node, both are the one socket.
 */
public final class StackClients implements AutoCloseable {
    private final CsiChannels.Client controller;
    private final List<CsiChannels.Client> own = new ArrayList<>();
    private final List<ScaleOut.NodeTarget> nodes = new ArrayList<>();

    private StackClients(LocalStack stack) {
        this.controller = CsiChannels.connect(stack.socket());
        own.add(controller);
        for (LocalStack.Node n : stack.nodes()) {
            CsiChannels.Client client;
            if (n.socket().equals(stack.socket())) {
                client = controller;
            } else {
                client = CsiChannels.connect(n.socket());
                own.add(client);
            }
            nodes.add(new ScaleOut.NodeTarget(n.nodeId(), n.zone(), client.channel(), n.kubeletDir()));
        }
    }

    public static StackClients connect(LocalStack stack) {
        return new StackClients(stack);
    }

    public ManagedChannel controller() {
        return controller.channel();
    }

    public List<ScaleOut.NodeTarget> nodes() {
        return List.copyOf(nodes);
    }

    @Override
    public void close() {
        for (CsiChannels.Client c : own) {
            c.close();
        }
    }
}
