package io.taskflow4j.bench.compare;

import io.taskflow4j.bench.BenchStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * What each store's own write path allows on this machine, without taskflow4j: loops that make the
 * physical writes of one durable chain task (its result stored, the next task's RUNNING marker
 * written) straight through the store's driver or the file system, as fast as they can, in the same
 * run as the harness's measurements. A goal of a store's durable chain that lies above its bare
 * limit cannot be met by any client of that store on this machine; the harness reports each run
 * against both the disk's sync limit F and this.
 *
 * <ul>
 *   <li>{@link #sqlite}: a SQLite file in WAL mode with {@code synchronous=FULL} (as {@code
 *       durability=power}), one transaction per task updating two rows of a table shaped like
 *       TaskFlow's {@code atomdetails} (the result, the next marker), kept prepared statements.
 *   <li>{@link #postgresql}: one auto-commit statement per task updating the same two rows on a
 *       fresh database, from one client: one round trip and one WAL flush per task.
 *   <li>{@link #dir}: TaskFlow's directory layout with plain Java file calls: each atom made
 *       (directory, record, link in its flow), then per task a marker written in place and a record
 *       replaced (a temporary file renamed over it); with {@code power} the least that makes it
 *       durable: the new record synced before its rename and its directory after (two syncs per
 *       task), and the directories holding the made atoms synced once per chain.
 * </ul>
 */
public final class BareStores {
  private BareStores() {}

  /** Rows (atoms) a bare loop cycles through: a chain of this length, run again and again. */
  static final int ATOMS = 1_000;

  /**
   * One bare limit.
   *
   * @param store {@code sqlite}, {@code postgresql} or {@code dir}
   * @param durability {@code power} or {@code process}
   * @param tasksPerSecond chain tasks per second the bare loop made
   * @param tasks how many it made
   * @param what what one task was, in words
   * @param afterN 0 when measured at the run's start; else the size of taskflow4j's chain on the
   *     same store that it was measured just after
   * @param syncsPerSecond the disk's sync rate measured around it, NaN for none (then it is judged
   *     against the rate of the run's start)
   */
  public record Limit(
      String store,
      String durability,
      double tasksPerSecond,
      long tasks,
      String what,
      int afterN,
      double syncsPerSecond) {

    /** A limit measured at the run's start. */
    public Limit(String store, String durability, double tasksPerSecond, long tasks, String what) {
      this(store, durability, tasksPerSecond, tasks, what, 0, Double.NaN);
    }

    /** This limit as measured just after the chain of size {@code n}, at sync rate {@code f}. */
    public Limit after(int n, double f) {
      return new Limit(store, durability, tasksPerSecond, tasks, what, n, f);
    }

    /** Milliseconds per task. */
    public double msPerTask() {
      return 1000.0 / tasksPerSecond;
    }
  }

  private static final String META =
      "{\"started_at\": \"2026-12-06T10:00:00.000000Z\", \"ended_at\":"
          + " \"2026-12-06T10:00:00.000010Z\", \"duration\": 1e-05, \"attempt\": 1}";

  /** The bare SQLite limit in a file made in {@code dir}, measured for about {@code seconds}. */
  public static Limit sqlite(Path dir, double seconds) {
    Path file = dir.resolve("bare-" + UUID.randomUUID() + ".db");
    Properties props = new Properties();
    // As the store's writer: the write lock taken at BEGIN.
    props.setProperty("transaction_mode", "IMMEDIATE");
    try (java.sql.Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, props)) {
      try (Statement st = c.createStatement()) {
        st.execute("PRAGMA journal_mode=WAL");
        st.execute("PRAGMA synchronous=FULL");
      }
      Rows rows = createRows(c, "VARCHAR(36)");
      c.setAutoCommit(false);
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE atoms SET state = ?, results = ?, meta = ?, revision = revision + 1"
                  + " WHERE uuid = ?")) {
        long[] done =
            loop(
                seconds,
                i -> {
                  bindUpdate(update, "SUCCESS", "{\"v\": " + i + "}", rows.uuid(i));
                  update.addBatch();
                  bindUpdate(update, "RUNNING", null, rows.uuid(i + 1));
                  update.addBatch();
                  update.executeBatch();
                  c.commit();
                });
        return limit("sqlite", "power", done, "one synced transaction of 2 row updates");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("the bare SQLite loop failed: " + e.getMessage(), e);
    } finally {
      for (String suffix : List.of("", "-wal", "-shm")) {
        deleteQuietly(Path.of(file + suffix));
      }
    }
  }

  /**
   * The bare PostgreSQL limit on the server {@code server} ({@code postgresql://user@host:port}),
   * in a fresh database that is dropped afterwards.
   */
  public static Limit postgresql(String server, double seconds) {
    try (BenchStore db = BenchStore.create(server + "/{db}");
        java.sql.Connection c = DriverManager.getConnection(jdbcUrl(db.uri()), props(db.uri()))) {
      Rows rows = createRows(c, "VARCHAR(36)");
      c.setAutoCommit(true);
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE atoms SET state = v.s, results = v.r, meta = v.m, revision = revision + 1"
                  + " FROM (VALUES (?, ?, ?, ?), (?, ?, ?, ?)) AS v(u, s, r, m)"
                  + " WHERE atoms.uuid = v.u")) {
        long[] done =
            loop(
                seconds,
                i -> {
                  update.setString(1, rows.uuid(i));
                  update.setString(2, "SUCCESS");
                  update.setString(3, "{\"v\": " + i + "}");
                  update.setString(4, META);
                  update.setString(5, rows.uuid(i + 1));
                  update.setString(6, "RUNNING");
                  update.setString(7, null);
                  update.setString(8, META);
                  if (update.executeUpdate() != 2) {
                    throw new IllegalStateException("the bare update missed a row");
                  }
                });
        return limit(
            "postgresql",
            "power",
            done,
            "one auto-commit statement updating 2 rows, synchronous_commit on");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("the bare PostgreSQL loop failed: " + e.getMessage(), e);
    }
  }

  /**
   * The bare directory limit in {@code dir}: chains of {@value #ATOMS} atoms in TaskFlow's layout,
   * each made and then run, until about {@code seconds} passed (at least two chains); per task, the
   * atoms' making included. The rate is the best chain's: this kind of file system's costs swing by
   * several times from one second to the next (as it frees the blocks of files removed before), and
   * a limit is what the machine can do, not what it did on average.
   */
  public static Limit dir(Path dir, boolean power, double seconds) {
    return dir(dir, power, seconds, ATOMS);
  }

  /** As {@link #dir(Path, boolean, double)} with chains of {@code length} atoms. */
  static Limit dir(Path dir, boolean power, double seconds, int length) {
    Path root = dir.resolve("bare-dir-" + UUID.randomUUID());
    byte[] meta = ("{\"name\": \"t\", \"state\": null, \"meta\": " + META + "}").getBytes(UTF8);
    try {
      Files.createDirectories(root.resolve("atoms"));
      long deadline = System.nanoTime() + (long) (seconds * 1e9);
      long tasks = 0;
      long best = Long.MAX_VALUE;
      int round = 0;
      do {
        long chainStart = System.nanoTime();
        Path flow = Files.createDirectories(root.resolve("flows").resolve("f" + round++));
        Path atoms = Files.createDirectories(flow.resolve("atoms"));
        List<Path> made = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
          String id = UUID.randomUUID().toString();
          Path atom = Files.createDirectory(root.resolve("atoms").resolve(id));
          write(atom.resolve("metadata"), meta, false);
          Files.createSymbolicLink(atoms.resolve(id), atom);
          made.add(atom);
        }
        if (power) {
          sync(atoms);
          sync(root.resolve("atoms"));
        }
        for (int i = 0; i < length; i++) {
          Path atom = made.get(i);
          if (i + 1 < length) {
            // The next task's RUNNING marker, written in place and never synced.
            write(made.get(i + 1).resolve("marker"), "RUNNING".getBytes(UTF8), false);
          }
          Path tmp = atom.resolve("metadata.tmp");
          write(tmp, ("{\"v\": " + i + ", \"meta\": " + META + "}").getBytes(UTF8), power);
          Files.move(tmp, atom.resolve("metadata"), StandardCopyOption.ATOMIC_MOVE);
          if (power) {
            sync(atom);
          }
        }
        tasks += length;
        best = Math.min(best, System.nanoTime() - chainStart);
      } while (System.nanoTime() < deadline || round < 2);
      return new Limit(
          "dir",
          power ? "power" : "process",
          length / (best / 1e9),
          tasks,
          power
              ? "an atom made (directory, record, link; their directories synced once per"
                  + " chain), a marker written, a record replaced and synced with its directory"
                  + " (2 syncs)"
              : "an atom made (directory, record, link), a marker written, a record replaced");
    } catch (IOException e) {
      throw new UncheckedIOException("the bare directory loop failed in " + root, e);
    } finally {
      BenchStore.discard(root);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  /** One round of the loop: task {@code i} of the chain. */
  private interface Task {
    void run(int i) throws SQLException;
  }

  /**
   * Runs {@code task} over and over for about {@code seconds}, after a few untimed rounds; returns
   * {how many ran, in how many nanoseconds}.
   */
  private static long[] loop(double seconds, Task task) throws SQLException {
    for (int i = 0; i < 50; i++) {
      task.run(i % (ATOMS - 1)); // warm-up: statements prepared, pages cached
    }
    long start = System.nanoTime();
    long deadline = start + (long) (seconds * 1e9);
    long count = 0;
    long now;
    do {
      task.run((int) (count % (ATOMS - 1)));
      count++;
      now = System.nanoTime();
    } while (now < deadline);
    return new long[] {count, now - start};
  }

  private static Limit limit(String store, String durability, long[] loop, String what) {
    return new Limit(store, durability, loop[0] / (loop[1] / 1e9), loop[0], what);
  }

  /** The uuids of the rows made. */
  private record Rows(List<String> uuids) {
    String uuid(int i) {
      return uuids.get(i);
    }
  }

  /** Makes the table and its {@value #ATOMS} rows (PENDING), committed. */
  private static Rows createRows(java.sql.Connection c, String uuidType) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE atoms (uuid "
              + uuidType
              + " PRIMARY KEY, parent_uuid VARCHAR(36), name VARCHAR(255), atom_type"
              + " VARCHAR(20), state VARCHAR(20), intention VARCHAR(20), results TEXT, failure"
              + " TEXT, revert_results TEXT, revert_failure TEXT, meta TEXT, version VARCHAR(20),"
              + " revision BIGINT NOT NULL DEFAULT 1, updated_at TIMESTAMP)");
      st.execute("CREATE INDEX atoms_parent_idx ON atoms (parent_uuid)");
    }
    List<String> uuids = new ArrayList<>(ATOMS);
    String parent = UUID.randomUUID().toString();
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (PreparedStatement ins =
        c.prepareStatement(
            "INSERT INTO atoms (uuid, parent_uuid, name, atom_type, state, intention, meta)"
                + " VALUES (?, ?, ?, 'TASK', 'PENDING', 'EXECUTE', ?)")) {
      for (int i = 0; i < ATOMS; i++) {
        String u = UUID.randomUUID().toString();
        uuids.add(u);
        ins.setString(1, u);
        ins.setString(2, parent);
        ins.setString(3, "t" + (i + 1));
        ins.setString(4, META);
        ins.addBatch();
      }
      ins.executeBatch();
    }
    c.commit();
    c.setAutoCommit(auto);
    return new Rows(uuids);
  }

  private static void bindUpdate(PreparedStatement ps, String state, String results, String uuid)
      throws SQLException {
    ps.setString(1, state);
    ps.setString(2, results);
    ps.setString(3, META);
    ps.setString(4, uuid);
  }

  private static void write(Path file, byte[] data, boolean sync) throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(data));
      if (sync) {
        ch.force(false);
      }
    }
  }

  private static void sync(Path directory) throws IOException {
    try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // best effort: the file is in the harness's own work directory
    }
  }

  /** {@code postgresql://user[:password]@host:port/db} as a JDBC URL (no credentials in it). */
  static String jdbcUrl(String uri) {
    URI u = parse(uri);
    String host = u.getHost() == null ? "127.0.0.1" : u.getHost();
    int port = u.getPort() < 0 ? 5432 : u.getPort();
    return "jdbc:postgresql://" + host + ":" + port + u.getPath();
  }

  private static Properties props(String uri) {
    Properties p = new Properties();
    String info = parse(uri).getUserInfo();
    if (info != null) {
      String[] parts = info.split(":", 2);
      p.setProperty("user", parts[0]);
      if (parts.length > 1) {
        p.setProperty("password", parts[1]);
      }
    }
    return p;
  }

  private static URI parse(String uri) {
    try {
      return new URI(uri);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "not a connection string of the form postgresql://user@host:port/db: " + e.getReason());
    }
  }
}
