package io.taskflow4j.cli;

import io.taskflow4j.persistence.BackendConf;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Tells whether two connection strings name the same store, however they are spelled: the same
 * SQLite file or directory (by the file system's identity of the file, through symbolic links and
 * relative paths), the same database on the same server (host names resolved: {@code localhost} and
 * {@code 127.0.0.1} are one server) or the same ZooKeeper path. A migration from a store into
 * itself would delete what it copies.
 */
final class SameStore {
  private SameStore() {}

  /** A store as far as identity goes: a file, or a server address set with a name inside it. */
  private record Identity(String kind, Path file, Set<String> hosts, int port, String name) {}

  /**
   * Refuses {@code from} and {@code to} when they name one store.
   *
   * @throws CliException (usage) saying why they are the same
   */
  static void refuse(String from, String to) {
    String why = same(from, to);
    if (why != null) {
      throw new CliException(
          ExitCodes.USAGE,
          "--from and --to are the same store ("
              + why
              + "); a migration into its own source would replace what it copies. Name two"
              + " different stores");
    }
  }

  /** Why the two name the same store, or {@code null} when they do not (or it cannot be told). */
  static String same(String from, String to) {
    if (from.equals(to)) {
      return "the same connection string";
    }
    Identity a = identity(from);
    Identity b = identity(to);
    if (a == null || b == null || !a.kind().equals(b.kind())) {
      return null;
    }
    if (a.file() != null && b.file() != null) {
      if (sameFile(a.file(), b.file())) {
        return (a.kind().equals("sqlite") ? "one SQLite file: " : "one directory: ")
            + a.file().toAbsolutePath().normalize();
      }
      return null;
    }
    if (a.hosts() == null || b.hosts() == null) {
      return null;
    }
    boolean sharedHost = a.hosts().stream().anyMatch(b.hosts()::contains);
    if (sharedHost && a.port() == b.port() && a.name().equals(b.name())) {
      return "one "
          + a.kind()
          + " server (port "
          + a.port()
          + ") and "
          + (a.kind().equals("zookeeper") ? "path " : "database ")
          + a.name();
    }
    return null;
  }

  private static boolean sameFile(Path a, Path b) {
    try {
      if (Files.exists(a) && Files.exists(b)) {
        return Files.isSameFile(a, b);
      }
      return canonical(a).equals(canonical(b));
    } catch (IOException e) {
      return canonical(a).equals(canonical(b));
    }
  }

  /** The absolute path with what exists of it resolved (symbolic links of its parents too). */
  private static Path canonical(Path p) {
    Path abs = p.toAbsolutePath().normalize();
    Path existing = abs;
    Path rest = null;
    while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
      Path name = existing.getFileName();
      rest = rest == null ? name : name.resolve(rest);
      existing = existing.getParent();
    }
    if (existing == null) {
      return abs;
    }
    try {
      Path real = existing.toRealPath();
      return rest == null ? real : real.resolve(rest);
    } catch (IOException e) {
      return abs;
    }
  }

  private static Identity identity(String connection) {
    BackendConf conf;
    try {
      conf = BackendConf.parse(connection);
    } catch (RuntimeException e) {
      return null; // the command reports a bad connection string when it opens it
    }
    String lower = connection.toLowerCase(Locale.ROOT);
    String backend = conf.backendName();
    try {
      switch (backend) {
        case "dir", "file" -> {
          String path = conf.getString("path").orElse("").strip();
          return path.isEmpty() ? null : new Identity("dir", Path.of(path), null, 0, null);
        }
        case "sqlite" -> {
          String path = sqlitePath(connection, lower);
          return path == null ? null : new Identity("sqlite", Path.of(path), null, 0, null);
        }
        case "postgresql", "postgres", "mysql", "mariadb" -> {
          String kind = backend.startsWith("postgres") ? "postgresql" : "mysql";
          int defaultPort = kind.equals("postgresql") ? 5432 : 3306;
          return server(kind, conf, defaultPort);
        }
        case "zookeeper" -> {
          return server("zookeeper", conf, 2181);
        }
        default -> {
          return null;
        }
      }
    } catch (InvalidPathException e) {
      return null;
    }
  }

  /** SQLAlchemy's rule: {@code sqlite:///x.db} is relative, {@code sqlite:////x.db} absolute. */
  private static String sqlitePath(String connection, String lower) {
    String rest;
    if (lower.startsWith("sqlite:///")) {
      rest = connection.substring("sqlite:///".length());
    } else if (lower.startsWith("jdbc:sqlite:")) {
      rest = connection.substring("jdbc:sqlite:".length());
      if (rest.startsWith("file:")) {
        rest = rest.substring("file:".length());
      }
    } else {
      return null;
    }
    int q = rest.indexOf('?');
    if (q >= 0) {
      rest = rest.substring(0, q);
    }
    if (rest.isEmpty() || rest.equals(":memory:")) {
      return null; // every in-memory database is its own
    }
    return rest;
  }

  private static Identity server(String kind, BackendConf conf, int defaultPort) {
    String hostField = conf.getString("hostname").orElse("");
    if (hostField.isEmpty()) {
      return null;
    }
    int port = conf.has("port") ? conf.getInt("port", defaultPort, 1, 65535) : defaultPort;
    Set<String> hosts = new HashSet<>();
    for (String h : hostField.split(",")) {
      String host = h.strip();
      int colon = host.lastIndexOf(':');
      if (colon > 0 && !host.endsWith("]") && host.indexOf(':') == colon) {
        host = host.substring(0, colon);
      }
      hosts.addAll(addresses(host));
    }
    String name = conf.getString("path").orElse("");
    if (name.startsWith("/")) {
      name = name.substring(1);
    }
    if (kind.equals("zookeeper")) {
      name = "/" + name;
    }
    return new Identity(kind, null, hosts, port, name);
  }

  /** A host's addresses; every loopback address counts as one, {@code "loopback"}. */
  private static Set<String> addresses(String host) {
    Set<String> out = new HashSet<>();
    String bare =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    try {
      for (InetAddress a : InetAddress.getAllByName(bare)) {
        out.add(a.isLoopbackAddress() ? "loopback" : a.getHostAddress());
      }
    } catch (UnknownHostException | SecurityException e) {
      out.add(bare.toLowerCase(Locale.ROOT));
    }
    return out;
  }
}
