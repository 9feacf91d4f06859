package dev.imagedisk.gce.emulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * What the resource services share: the records and their lock (from {@link ComputeState}),
 * lookups that answer 404, and the operation calls (delegated to {@link OperationService}).
 */
abstract class ComputeApi {
  final ComputeState state;
  final Object lock;
  final Storage storage;
  final Faults faults;
  final Map<String, Model.Image> images;
  final Map<String, Model.Disk> disks;
  final Map<String, Model.Instance> instances;
  private final OperationService ops;

  ComputeApi(ComputeState state, OperationService ops) {
    this.state = state;
    this.lock = state.lock;
    this.storage = state.storage;
    this.faults = state.faults;
    this.images = state.images;
    this.disks = state.disks;
    this.instances = state.instances;
    this.ops = ops;
  }

  Links links() {
    return state.links;
  }

  void changed() {
    state.onChange.run();
  }

  /** What an operation does when it completes; {@link #abort} runs under the lock. */
  interface Effect {
    void run() throws Exception;

    void abort();
  }

  Model.Operation earlier(String requestId) {
    return ops.earlier(requestId);
  }

  Model.Operation newOperation(String project, String zone, String type, String targetLink,
      long targetId, String requestId) {
    return ops.newOperation(project, zone, type, targetLink, targetId, requestId);
  }

  ObjectNode launch(Model.Operation op, Effect effect) {
    return ops.launch(op, effect);
  }

  ObjectNode launch(Model.Operation op, OperationFailure failure, Effect effect) {
    return ops.launch(op, failure, effect);
  }

  ObjectNode render(Model.Operation op) {
    return ops.render(op);
  }

  Model.Image image(String project, String name) {
    Model.Image img = images.get(project + "/" + name);
    if (img == null) {
      throw GceException.notFound(Links.imagePath(project, name));
    }
    return img;
  }

  Model.Instance instance(String project, String zone, String name) {
    Model.Instance i = instances.get(project + "/" + zone + "/" + name);
    if (i == null) {
      throw GceException.notFound(Links.instancePath(project, zone, name));
    }
    return i;
  }

  Model.Disk disk(String project, String zone, String name) {
    Model.Disk d = disks.get(project + "/" + zone + "/" + name);
    if (d == null) {
      throw GceException.notFound(Links.diskPath(project, zone, name));
    }
    return d;
  }

  String attachmentMode(String instanceKey, String diskKey) {
    Model.Instance inst = instances.get(instanceKey);
    if (inst != null) {
      for (Model.Attachment a : inst.disks) {
        if (a.diskKey.equals(diskKey)) {
          return a.mode;
        }
      }
    }
    return "READ_WRITE";
  }
}
