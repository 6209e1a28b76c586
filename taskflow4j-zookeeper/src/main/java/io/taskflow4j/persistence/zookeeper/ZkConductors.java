package io.taskflow4j.persistence.zookeeper;

import static io.taskflow4j.persistence.zookeeper.ZkPostings.parse;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.segment;

import io.taskflow4j.internal.HostIdentity;
import io.taskflow4j.jobs.ConductorInfo;
import io.taskflow4j.jobs.Jobboard.Subscription;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.zookeeper.ZkReads.Read;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;

/**
 * The conductors registered on a {@link ZkJobboard}: an ephemeral znode each, in TaskFlow's entity
 * layout ({@code {"kind": "conductor", "name": id, "metadata": {...}}}), so that a conductor's
 * registration lives exactly as long as its board's session.
 */
final class ZkConductors {
  private final ZkBackend zk;
  private final ZkJobReads reads;
  private final Clock clock;

  /** Live registrations: znode path → data, re-created after a session was lost. */
  private final Map<String, byte[]> registrations = new ConcurrentHashMap<>();

  ZkConductors(ZkBackend zk, ZkJobReads reads, Clock clock) {
    this.zk = zk;
    this.reads = reads;
    this.clock = clock;
  }

  /**
   * Registers a conductor: an ephemeral znode, re-created should the session be lost.
   *
   * @param closed whether the board closed: its closed session took the registration with it
   */
  Subscription register(OwnerId conductor, Map<String, Object> meta, BooleanSupplier closed) {
    Map<String, Object> metadata = new LinkedHashMap<>();
    if (meta != null) {
      metadata.putAll(meta);
    }
    metadata.put("hostname", HostIdentity.hostName());
    metadata.put("pid", HostIdentity.pid());
    metadata.put("conductor_name", conductor.name());
    metadata.put("since", clock.millis());
    Map<String, Object> entity = new LinkedHashMap<>();
    entity.put("kind", "conductor");
    entity.put("name", conductor.id());
    entity.put("metadata", Json.normalize(metadata));
    byte[] data = Json.writeBytes(entity);
    String path = reads.conductorsPath + "/" + segment(conductor.id());
    zk.run(
        "registering conductor " + conductor.id(),
        (h, a) -> {
          createEphemeral(h, path, data);
          return null;
        });
    registrations.put(path, data);
    return () -> {
      registrations.remove(path);
      if (closed.getAsBoolean()) {
        return; // the closed session took the registration with it
      }
      zk.run(
          "unregistering conductor " + conductor.id(),
          (h, a) -> {
            try {
              h.delete(path, -1);
            } catch (KeeperException.NoNodeException gone) {
              // already gone
            }
            return null;
          });
    };
  }

  private void createEphemeral(ZooKeeper h, String path, byte[] data)
      throws KeeperException, InterruptedException {
    try {
      h.create(path, data, zk.acl(), CreateMode.EPHEMERAL);
    } catch (KeeperException.NodeExistsException e) {
      h.setData(path, data, -1);
    }
  }

  /** Re-creates the registrations in a new session (the old one took them along). */
  void restore() {
    for (Map.Entry<String, byte[]> r : registrations.entrySet()) {
      zk.run(
          "re-registering " + r.getKey(),
          (h, a) -> {
            createEphemeral(h, r.getKey(), r.getValue());
            return null;
          });
    }
  }

  /** The registered conductors, longest registered first. */
  List<ConductorInfo> list() {
    return zk.run(
        "listing the conductors of " + reads.jobsPath,
        (h, attempt) -> {
          Read ch = ZkReads.children(reads.conductorsPath);
          ZkReads.run(h, List.of(ch), reads.readTimeoutMs());
          if (!ch.found()) {
            return List.of();
          }
          List<Read> entities = new ArrayList<>();
          for (String c : ch.children) {
            entities.add(ZkReads.data(reads.conductorsPath + "/" + c));
          }
          ZkReads.run(h, entities, reads.readTimeoutMs());
          List<ConductorInfo> out = new ArrayList<>();
          for (Read r : entities) {
            if (r.found()) {
              out.add(conductor(r));
            }
          }
          out.sort(Comparator.comparing(ConductorInfo::since));
          return out;
        });
  }

  private static ConductorInfo conductor(Read r) {
    String fallback =
        URLDecoder.decode(r.path.substring(r.path.lastIndexOf('/') + 1), StandardCharsets.UTF_8);
    Map<?, ?> m = parse(r.data);
    Map<String, Object> meta = new LinkedHashMap<>();
    if (m != null && m.get("metadata") instanceof Map<?, ?> md) {
      md.forEach((k, v) -> meta.put(String.valueOf(k), v));
    }
    String id = m != null && m.get("name") != null ? String.valueOf(m.get("name")) : fallback;
    Object name = meta.remove("conductor_name");
    Object host = meta.remove("hostname");
    Object pid = meta.remove("pid");
    meta.remove("since");
    @SuppressWarnings("unchecked")
    Map<String, Object> normalized = (Map<String, Object>) Json.normalize(meta);
    return new ConductorInfo(
        id,
        name == null ? id : String.valueOf(name),
        host == null ? null : String.valueOf(host),
        pid instanceof Number n ? n.longValue() : -1,
        Instant.ofEpochMilli(r.stat.getCtime()),
        normalized);
  }
}
