package io.taskflow4j.persistence.jdbc.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.jdbc.MariaDbDatabase;
import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import io.taskflow4j.persistence.jdbc.TinyFileSystem;
import io.taskflow4j.verify.Problem;
import io.taskflow4j.verify.Report;
import io.taskflow4j.verify.StoreVerifier;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Connection strings that point at the wrong place, or at a place that cannot hold a store: a
 * mistyped SQLite path, a text file, a missing directory, a read-only or full file system, a port
 * nobody listens on, a database that does not exist, a wrong password. Each fails at once (not
 * after the retries meant for a server restart) with a {@link StorageException} that says what is
 * wrong and what to do, creating and changing nothing. A new SQLite store is its owner's alone, and
 * a {@code jdbc:mysql:} URL reaches a MySQL-protocol server.
 */
class HostileSqlLocationTest {
  /**
   * How long a failure that retrying cannot fix may take: generous for a loaded machine, far below
   * the seven waits of 30 s for a pool connection that it took before.
   */
  private static final Duration AT_ONCE = Duration.ofSeconds(20);

  private static final String OWNER_ONLY = "rw-------";

  @TempDir Path dir;

  private static String sqlite(Path file) {
    return "sqlite:///" + file.toAbsolutePath();
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private static List<String> listing(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Runs {@code call}, which must throw within {@link #AT_ONCE}; returns what it threw. */
  private static Throwable failsAtOnce(ThrowingCallable call) {
    Throwable thrown = assertTimeoutPreemptively(AT_ONCE, () -> catchThrowable(call));
    assertThat(thrown).as("an exception").isNotNull();
    assertThat(thrown).isInstanceOf(StorageException.class);
    return thrown;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ---------------------------------------------------------------- file modes

  @Test
  void aNewSqliteStoreAndItsWalAndShmFilesAreOwnerOnly() throws Exception {
    Path file = dir.resolve("new.db");
    try (Backend b = Backends.open(sqlite(file));
        Connection c = b.getConnection()) {
      c.saveLogBook(LogBook.create("customer@example.com"));
      assertThat(mode(file)).isEqualTo(OWNER_ONLY);
      // WAL mode keeps both next to the store while it is open.
      for (String suffix : List.of("-wal", "-shm")) {
        Path sibling = dir.resolve("new.db" + suffix);
        assertThat(sibling).exists();
        assertThat(mode(sibling)).as(sibling.toString()).isEqualTo(OWNER_ONLY);
      }
    }
    assertThat(mode(file)).isEqualTo(OWNER_ONLY);
  }

  @Test
  void aNewSqliteStoreGivenAsAJdbcUrlIsOwnerOnlyToo() throws Exception {
    Path file = dir.resolve("jdbc.db");
    try (Backend b = Backends.open("jdbc:sqlite:" + file.toAbsolutePath())) {
      assertThat(mode(file)).isEqualTo(OWNER_ONLY);
    }
  }

  @Test
  void anExistingSqliteFileKeepsItsMode() throws Exception {
    Path file = dir.resolve("shared.db");
    try (java.sql.Connection raw = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement st = raw.createStatement()) {
      st.execute("CREATE TABLE app_owned (id INTEGER PRIMARY KEY)");
    }
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    try (Backend b = Backends.open(sqlite(file))) {
      assertThat(mode(file)).isEqualTo("rw-r-----");
    }
  }

  @Test
  void permissionsGroupMakesANewStoreGroupWritable() throws Exception {
    Path file = dir.resolve("group.db");
    try (Backend b = Backends.open(sqlite(file) + "?permissions=group")) {
      assertThat(mode(file)).isEqualTo("rw-rw----");
    }
  }

  @Test
  void permissionsUmaskLeavesANewStoreToTheProcessUmask() throws Exception {
    Path file = dir.resolve("umask.db");
    Path plain = Files.createFile(dir.resolve("plain"));
    try (Backend b = Backends.open(sqlite(file) + "?permissions=umask")) {
      assertThat(mode(file)).isEqualTo(mode(plain));
    }
  }

  @Test
  void permissionsOfAnotherKindAreRefused() {
    assertThat(
            catchThrowable(
                () -> Backends.fetch(sqlite(dir.resolve("x.db")) + "?permissions=world")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("permissions");
    assertThat(dir.resolve("x.db")).doesNotExist();
  }

  // ---------------------------------------------------------------- a mistyped path

  static Stream<Arguments> readsAndWritesWithoutUpgrade() {
    Consumer<Connection> validate = Connection::validate;
    Consumer<Connection> list = c -> c.getLogBooks(true);
    Consumer<Connection> book = c -> c.getLogBook(UUID.randomUUID().toString());
    Consumer<Connection> save = c -> c.saveLogBook(LogBook.create("x"));
    Consumer<Connection> fence = c -> c.advanceFence(new Fence("job", 1));
    return Stream.of(
        Arguments.of("validate", validate),
        Arguments.of("getLogBooks", list),
        Arguments.of("getLogBook", book),
        Arguments.of("saveLogBook", save),
        Arguments.of("advanceFence", fence));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("readsAndWritesWithoutUpgrade")
  void aMistypedSqlitePathIsReportedAndNoFileIsCreated(String what, Consumer<Connection> op)
      throws Exception {
    Path typo = dir.resolve("flwos.db");
    for (String connection : List.of(sqlite(typo), "jdbc:sqlite:" + typo.toAbsolutePath())) {
      try (Backend b = Backends.fetch(connection);
          Connection c = b.getConnection()) {
        Throwable e = failsAtOnce(() -> op.accept(c));
        assertThat(e.getMessage())
            .contains("No SQLite store at " + typo.toAbsolutePath())
            .contains("upgrade()");
      }
      assertThat(listing(dir)).as("what %s left", what).isEmpty();
    }
  }

  @Test
  void theVerifierReportsAMistypedSqlitePathAndCreatesNoFile() throws Exception {
    Path typo = dir.resolve("flwos.db");
    try (Backend b = Backends.fetch(sqlite(typo));
        Connection c = b.getConnection()) {
      Report report = assertTimeoutPreemptively(AT_ONCE, () -> StoreVerifier.verify(c));
      assertThat(report.ok()).isFalse();
      assertThat(report.problems())
          .extracting(Problem::message)
          .anySatisfy(m -> assertThat(m).contains("No SQLite store at " + typo));
    }
    assertThat(listing(dir)).isEmpty();
  }

  // ---------------------------------------------------------------- not a store

  @Test
  void aTextFileIsRefusedAtOnceAsNotASqliteDatabaseAndLeftAsItWas() throws Exception {
    Path text = dir.resolve("notes.db");
    Files.writeString(text, "shopping list: milk, eggs\n".repeat(200));
    byte[] before = Files.readAllBytes(text);
    try (Backend b = Backends.fetch(sqlite(text));
        Connection c = b.getConnection()) {
      Throwable read = failsAtOnce(c::validate);
      assertThat(read.getMessage()).contains(text.toString()).contains("not a SQLite database");
      Throwable upgrade = failsAtOnce(c::upgrade);
      assertThat(upgrade.getMessage()).contains("not a SQLite database");
    }
    assertThat(Files.readAllBytes(text)).isEqualTo(before);
    assertThat(listing(dir)).containsExactly("notes.db");
  }

  @Test
  void anUpgradeIntoAMissingDirectoryFailsAtOnceNamingTheDirectory() throws Exception {
    Path missing = dir.resolve("no-such-dir");
    Path file = missing.resolve("flows.db");
    Throwable e = failsAtOnce(() -> Backends.open(sqlite(file)).close());
    assertThat(e.getMessage())
        .contains("directory " + missing)
        .contains("does not exist")
        .doesNotContain("host");
    assertThat(missing).doesNotExist();
  }

  @Test
  void aSqliteStoreOnAReadOnlyFileSystemFailsAtOnceSayingSo() throws Exception {
    try (TinyFileSystem fs = TinyFileSystem.mount(dir.resolve("mnt"), "1m")) {
      Path store = fs.path().resolve("flows.db");
      try (Backend b = Backends.open(sqlite(store));
          Connection c = b.getConnection()) {
        c.saveLogBook(LogBook.create("kept"));
      }
      byte[] before = Files.readAllBytes(store);
      fs.remountReadOnly();

      Throwable create = failsAtOnce(() -> Backends.open(sqlite(fs.path().resolve("new.db"))));
      assertThat(create.getMessage()).contains("read-only file system");
      try (Backend b = Backends.fetch(sqlite(store));
          Connection c = b.getConnection()) {
        Throwable write = failsAtOnce(() -> c.saveLogBook(LogBook.create("refused")));
        assertThat(write.getMessage()).contains(store.toString()).contains("read-only");
      }
      assertThat(Files.readAllBytes(store)).isEqualTo(before);
    }
  }

  @Test
  void aFullDiskIsReportedAsAFullDiskNamingTheStore() throws Exception {
    try (TinyFileSystem fs = TinyFileSystem.mount(dir.resolve("mnt"), "64k")) {
      Path store = fs.path().resolve("flows.db");
      Throwable e = failsAtOnce(() -> Backends.open(sqlite(store)).close());
      assertThat(e.getMessage())
          .contains("disk")
          .contains("full")
          .contains(store.toString())
          .doesNotContain("no transaction is active");
      // The empty file the failed upgrade made is not left behind as a store.
      assertThat(listing(fs.path())).isEmpty();
    }
  }

  @Test
  void aWriteThatFillsTheDiskIsReportedAsAFullDisk() throws Exception {
    try (TinyFileSystem fs = TinyFileSystem.mount(dir.resolve("mnt"), "400k")) {
      Path store = fs.path().resolve("flows.db");
      try (Backend b = Backends.open(sqlite(store));
          Connection c = b.getConnection()) {
        LogBook kept = c.saveLogBook(LogBook.create("kept"));
        String big = "x".repeat(1_000_000);
        Throwable e =
            failsAtOnce(() -> c.saveLogBook(LogBook.create("big").withMeta(Map.of("k", big))));
        assertThat(e.getMessage()).contains("the disk holding " + store + " is full");
        assertThat(c.getLogBook(kept.uuid()).name()).isEqualTo("kept");
      }
    }
  }

  // ---------------------------------------------------------------- servers

  @Test
  void aClosedPortFailsFastSayingTheServerIsNotRunning() throws Exception {
    int port = freePort();
    for (String connection :
        List.of(
            // With the default retries: a few seconds of backoff, no pool timeouts.
            "postgresql://postgres@127.0.0.1:" + port + "/test",
            "mariadb://root@127.0.0.1:" + port + "/test?sslMode=disable&max_retries=0",
            "jdbc:postgresql://127.0.0.1:"
                + port
                + "/test?user=postgres&password=s3cret&max_retries=0")) {
      try (Backend b = Backends.fetch(connection);
          Connection c = b.getConnection()) {
        Throwable e = failsAtOnce(c::validate);
        assertThat(e.getMessage())
            .as(connection)
            .contains("check that the database server is running")
            .doesNotContain("user name and password")
            .doesNotContain("s3cret");
      }
    }
  }

  @Test
  void aMissingPostgresDatabaseFailsAtOnceSayingItDoesNotExist() throws Exception {
    TestDatabases.requirePostgres();
    String name = TestDatabases.newName();
    String connection = TestDatabases.postgresUrl(name);
    assertMissingDatabase(connection, name);
  }

  @Test
  void aMissingMariaDbDatabaseFailsAtOnceSayingItDoesNotExist() throws Exception {
    TestDatabases.requireMariaDb();
    String name = TestDatabases.newName();
    assertMissingDatabase(TestDatabases.mariadbUrl(name), name);
  }

  private static void assertMissingDatabase(String connection, String name) {
    try (Backend b = Backends.fetch(connection);
        Connection c = b.getConnection()) {
      for (ThrowingCallable op : List.<ThrowingCallable>of(c::validate, c::upgrade)) {
        Throwable e = failsAtOnce(op);
        assertThat(e.getMessage())
            .contains(name)
            .contains("does not exist on the server")
            .doesNotContain("check that the database server is running")
            .doesNotContain("user name and password");
      }
    }
  }

  @Test
  void aWrongPasswordFailsAtOnceWithoutShowingIt() throws Exception {
    TestDatabases.requireMariaDb();
    String user = "tf_loc_" + UUID.randomUUID().toString().substring(0, 6);
    String password = "Right-" + UUID.randomUUID().toString().substring(0, 8);
    try (java.sql.Connection c = TestDatabases.mariadb(TestDatabases.MARIADB_ADMIN_DB);
        Statement st = c.createStatement()) {
      st.execute("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'");
    }
    try {
      String wrong = "Wrong-" + UUID.randomUUID().toString().substring(0, 8);
      String connection =
          "mariadb://"
              + user
              + ":"
              + wrong
              + "@"
              + TestDatabases.MARIADB_HOST
              + "/"
              + TestDatabases.MARIADB_ADMIN_DB
              + "?sslMode=disable";
      try (Backend b = Backends.fetch(connection);
          Connection c = b.getConnection()) {
        Throwable e = failsAtOnce(c::validate);
        assertThat(e.getMessage())
            .contains("check the user name and password")
            .doesNotContain(wrong)
            .doesNotContain("check that the database server is running");
      }
    } finally {
      try (java.sql.Connection c = TestDatabases.mariadb(TestDatabases.MARIADB_ADMIN_DB);
          Statement st = c.createStatement()) {
        st.execute("DROP USER IF EXISTS '" + user + "'@'%'");
      }
    }
  }

  /**
   * Once a backend has worked, a database that goes away is not waited for seven times: the pool's
   * timeout carries the driver's error, which says retrying cannot help.
   */
  @Test
  void aDatabaseDroppedUnderARunningBackendIsNotRetried(@PostgresDatabase String name)
      throws Exception {
    try (Backend b = Backends.open(TestDatabases.postgresUrl(name) + "?pool_timeout=3");
        Connection c = b.getConnection()) {
      c.saveLogBook(LogBook.create("before"));
      TestDatabases.dropPostgres(name);
      long t0 = System.nanoTime();
      Throwable e = failsAtOnce(() -> c.getLogBooks(true));
      double seconds = (System.nanoTime() - t0) / 1e9;
      // Six retries of 3 s each would take 18 s and more.
      assertThat(seconds).isLessThan(10);
      assertThat(e.getMessage()).contains(name).contains("does not exist on the server");
    }
  }

  @Test
  void aJdbcMysqlUrlReachesAMariaDbServer(@MariaDbDatabase String db) throws Exception {
    String url =
        "jdbc:mysql://"
            + TestDatabases.MARIADB_HOST
            + "/"
            + db
            + "?user="
            + TestDatabases.MARIADB_USER
            + "&sslMode=disable";
    LogBook saved;
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      saved = c.saveLogBook(LogBook.create("through jdbc:mysql:"));
      c.validate();
    }
    try (Backend b = Backends.fetch(TestDatabases.mariadbUrl(db));
        Connection c = b.getConnection()) {
      assertThat(c.getLogBook(saved.uuid()).name()).isEqualTo("through jdbc:mysql:");
    }
  }
}
