package io.taskflow4j.bench;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import org.apache.curator.test.TestingServer;

/**
 * A store for one benchmark trial, made from a connection-string template, and removed again by
 * {@link #close()}. Placeholders:
 *
 * <ul>
 *   <li>{@code {tmp}}: a new temporary directory (absolute path, without a trailing slash);
 *   <li>{@code {zk}}: {@code host:port} of a ZooKeeper server (Curator's {@code TestingServer}: the
 *       real server code, with its transaction log synced as a production server's) started in this
 *       JVM for the trial, on a temporary data directory, and stopped on close;
 *   <li>{@code {db}}: a new name {@code tf4j_bench_<random>}. On a {@code postgresql://}, {@code
 *       postgres://}, {@code mariadb://} or {@code mysql://} connection a database of that name is
 *       created on the server (through the server's {@code postgres} database, or {@code
 *       TF4J_BENCH_PG_ADMIN_DB}) and dropped on close; anywhere else (e.g. a {@code zookeeper://}
 *       chroot path) it is a fresh name, and the store is emptied ({@code clearAll()}) on close.
 * </ul>
 *
 * <p>Examples: {@code memory://}, {@code dir://{tmp}?durability=process}, {@code
 * sqlite:///{tmp}/bench.db}, {@code postgresql://postgres@127.0.0.1:5432/{db}}, {@code
 * mariadb://root@127.0.0.1:3306/{db}?sslMode=disable}, {@code zookeeper://127.0.0.1:2181/{db}},
 * {@code zookeeper://{zk}/{db}}.
 */
public final class BenchStore implements AutoCloseable {
  private final String uri;
  private final Path tmp;
  private final Runnable drop;

  private BenchStore(String uri, Path tmp, Runnable drop) {
    this.uri = uri;
    this.tmp = tmp;
    this.drop = drop;
  }

  /** Makes the store named by {@code template}. */
  public static BenchStore create(String template) {
    Path tmp = null;
    String uri = template;
    try {
      if (uri.contains("{tmp}") || uri.contains("{zk}")) {
        tmp = Files.createTempDirectory("tf4j-bench");
        // Four slashes for SQLite (an absolute path), and a plain absolute path elsewhere.
        uri = uri.replace("{tmp}", tmp.toAbsolutePath().toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory", e);
    }
    if (uri.contains("{zk}")) {
      TestingServer server = startZooKeeper(tmp.resolve("zookeeper"));
      uri = uri.replace("{zk}", server.getConnectString());
      // the whole server goes away on close: no need to empty the store first
      return new BenchStore(uri.replace("{db}", freshName()), tmp, () -> closeQuietly(server));
    }
    Runnable drop = () -> {};
    if (uri.contains("{db}")) {
      String name = freshName();
      uri = uri.replace("{db}", name);
      String scheme = uri.substring(0, Math.max(0, uri.indexOf(':'))).toLowerCase(Locale.ROOT);
      switch (scheme) {
        case "postgresql", "postgres" -> {
          Server s = Server.parse(uri, 5432);
          String admin =
              "jdbc:postgresql://" + s.hostPort + "/" + env("TF4J_BENCH_PG_ADMIN_DB", "postgres");
          s.execute(admin, "CREATE DATABASE " + name);
          drop = () -> s.execute(admin, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
        case "mariadb", "mysql" -> {
          Server s = Server.parse(uri, 3306);
          String admin = "jdbc:mariadb://" + s.hostPort + "/?sslMode=disable";
          s.execute(admin, "CREATE DATABASE " + name + " CHARACTER SET utf8mb4");
          drop = () -> s.execute(admin, "DROP DATABASE IF EXISTS " + name);
        }
        default -> {
          // A fresh name only (e.g. a ZooKeeper chroot): emptied through the backend on close.
          String made = uri;
          drop =
              () -> {
                try (Backend b = Backends.fetch(made);
                    Connection c = b.getConnection()) {
                  c.clearAll();
                }
              };
        }
      }
    }
    return new BenchStore(uri, tmp, drop);
  }

  private static String freshName() {
    return "tf4j_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  private static TestingServer startZooKeeper(Path dataDir) {
    try {
      Files.createDirectories(dataDir);
      return new TestingServer(-1, dataDir.toFile(), true);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start an embedded ZooKeeper server: " + e, e);
    }
  }

  private static void closeQuietly(TestingServer server) {
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop the embedded ZooKeeper server", e);
    }
  }

  /** The connection string of the store. */
  public String uri() {
    return uri;
  }

  /** The temporary directory of the store, or {@code null}. */
  public Path directory() {
    return tmp;
  }

  /** Drops the database and deletes the temporary directory (see {@link #discard}). */
  @Override
  public void close() {
    try {
      drop.run();
    } finally {
      if (tmp != null) {
        discard(tmp);
      }
    }
  }

  // Where discarded directories wait until the end of a measurement session; null: deleted at once.
  private static volatile Path discarded;

  /**
   * From now on, {@link #discard} moves directories into {@code trash} instead of deleting them;
   * the caller deletes {@code trash} when it has measured everything ({@code null}: delete at once
   * again).
   *
   * <p>Why: a file system may make the files created soon after a mass deletion slower to create.
   * ext4 without a journal (as on the harness's virtual machines) skips every inode freed in the
   * last one to six minutes when it allocates one, and checks each in the inode table: a deleted
   * store of 30,000 files made the next directory store's atoms several times slower to create, so
   * a row depended on what was measured before it. A store set aside by a rename frees nothing.
   */
  public static void deferDeletes(Path trash) {
    discarded = trash;
  }

  /**
   * Deletes a directory tree, or, after {@link #deferDeletes}, moves it into the trash to be
   * deleted at the end (deleted at once when it cannot be moved there).
   */
  public static void discard(Path dir) {
    Path trash = discarded;
    if (trash != null && Files.exists(dir)) {
      try {
        Files.createDirectories(trash);
        Files.move(dir, trash.resolve(dir.getFileName() + "-" + System.nanoTime()));
        return;
      } catch (IOException e) {
        // another file system, say: deleted now
      }
    }
    deleteTree(dir);
  }

  /**
   * Deletes a directory tree, ignoring what has already gone: depth first, without holding its
   * paths in memory (a harness's discarded stores hold hundreds of thousands of files).
   */
  public static void deleteTree(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              file.toFile().delete();
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              return FileVisitResult.CONTINUE; // gone meanwhile
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) {
              d.toFile().delete();
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  private static String env(String key, String dflt) {
    String v = System.getenv(key);
    return v == null || v.isBlank() ? dflt : v;
  }

  /** The server part of a connection string, for administration. */
  private record Server(String hostPort, String user, String password) {
    static Server parse(String uri, int defaultPort) {
      URI u;
      try {
        u = new URI(uri);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(
            "not a connection string of the form scheme://user@host:port/{db}: " + e.getReason());
      }
      String host = u.getHost() == null ? "127.0.0.1" : u.getHost();
      int port = u.getPort() < 0 ? defaultPort : u.getPort();
      String user = null;
      String password = null;
      if (u.getUserInfo() != null) {
        String[] parts = u.getUserInfo().split(":", 2);
        user = parts[0];
        password = parts.length > 1 ? parts[1] : null;
      }
      return new Server(host + ":" + port, user, password);
    }

    void execute(String jdbcUrl, String sql) {
      Properties p = new Properties();
      if (user != null) {
        p.setProperty("user", user);
      }
      if (password != null) {
        p.setProperty("password", password);
      }
      try (java.sql.Connection c = DriverManager.getConnection(jdbcUrl, p);
          Statement st = c.createStatement()) {
        st.execute(sql);
      } catch (SQLException e) {
        throw new IllegalStateException(
            "the database server at "
                + hostPort
                + " refused '"
                + sql
                + "' (SQL state "
                + e.getSQLState()
                + "); is it running, and may "
                + (user == null ? "the default user" : "user '" + user + "'")
                + " create databases?");
      }
    }
  }

  @Override
  public String toString() {
    return uri.replaceAll("//([^:/@]+):[^@/]*@", "//$1:***@");
  }
}
