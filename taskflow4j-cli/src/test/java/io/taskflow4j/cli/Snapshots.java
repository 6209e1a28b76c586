package io.taskflow4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.data.Stat;

/**
 * What a store looks like below any API, to prove a command changed nothing: every path of a
 * directory (type, mode, owner, modification time, bytes or link target), or every znode of a
 * ZooKeeper server (data and whole stat: versions, zxids, children).
 */
final class Snapshots {
  private Snapshots() {}

  static Map<String, String> dir(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        PosixFileAttributes a =
            Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String d =
            PosixFilePermissions.toString(a.permissions())
                + " "
                + a.owner().getName()
                + " mtime="
                + a.lastModifiedTime().toInstant();
        if (a.isSymbolicLink()) {
          d = "link " + d + " -> " + Files.readSymbolicLink(p);
        } else if (a.isDirectory()) {
          d = "dir " + d;
        } else {
          d = "file " + d + " sha256=" + sha256(Files.readAllBytes(p));
        }
        out.put(root.relativize(p).toString(), d);
      }
    }
    return out;
  }

  /**
   * Sets every directory under {@code root} to {@code dirMode} and every file to {@code fileMode}.
   */
  static void chmod(Path root, String dirMode, String fileMode) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (!Files.isSymbolicLink(p)) {
          Files.setPosixFilePermissions(
              p, PosixFilePermissions.fromString(Files.isDirectory(p) ? dirMode : fileMode));
        }
      }
    }
  }

  static Map<String, String> znodes(CuratorFramework client) throws Exception {
    Map<String, String> out = new TreeMap<>();
    walk(client, "/", out);
    return out;
  }

  private static void walk(CuratorFramework client, String node, Map<String, String> out)
      throws Exception {
    Stat stat = new Stat();
    byte[] data = client.getData().storingStatIn(stat).forPath(node);
    out.put(node, stat.toString().strip() + " data=" + (data == null ? "" : hex(data)));
    for (String child : client.getChildren().forPath(node)) {
      String p = node.equals("/") ? "/" + child : node + "/" + child;
      if (!p.equals("/zookeeper")) { // the server's own
        walk(client, p, out);
      }
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return hex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
