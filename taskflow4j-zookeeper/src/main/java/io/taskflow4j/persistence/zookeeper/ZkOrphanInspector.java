package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.verify.Problem;
import io.taskflow4j.verify.RawStoreInspector;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;

/**
 * The raw check of a ZooKeeper store for {@code StoreVerifier} ({@code taskflow4j verify}): znodes
 * under {@code flow_details} that no book links to, and under {@code atom_details} that no flow
 * detail links to (orphans, which the connection API cannot see and which a write cut between its
 * znodes would leave). Reads only; the jobboard's and the fences' znodes are not looked at.
 */
public final class ZkOrphanInspector implements RawStoreInspector {

  /** Made by {@link java.util.ServiceLoader}. */
  public ZkOrphanInspector() {}

  @Override
  public boolean supports(Backend backend) {
    return backend instanceof ZkBackend;
  }

  @Override
  public List<Problem> inspect(Backend backend) {
    ZkBackend b = (ZkBackend) backend;
    String root = b.settings().path();
    return b.run(
        "looking for orphan znodes",
        (zk, attempt) -> {
          List<Problem> out = new ArrayList<>();
          orphans(zk, root + "/books", root + "/flow_details", "flow detail", "logbook", out);
          orphans(zk, root + "/flow_details", root + "/atom_details", "atom detail", "flow", out);
          return out;
        });
  }

  /** Adds a problem for every child of {@code dir} that no child of {@code parents} links to. */
  private static void orphans(
      ZooKeeper zk, String parents, String dir, String kind, String parentKind, List<Problem> out)
      throws KeeperException, InterruptedException {
    Set<String> linked = new HashSet<>();
    for (String parent : children(zk, parents)) {
      linked.addAll(children(zk, parents + "/" + parent));
    }
    for (String child : children(zk, dir)) {
      if (!linked.contains(child)) {
        out.add(
            new Problem(
                Problem.Kind.ORPHAN,
                kind + " " + child,
                "znode " + dir + "/" + child + " is linked from no " + parentKind));
      }
    }
  }

  private static List<String> children(ZooKeeper zk, String path)
      throws KeeperException, InterruptedException {
    try {
      return zk.getChildren(path, false);
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    }
  }
}
