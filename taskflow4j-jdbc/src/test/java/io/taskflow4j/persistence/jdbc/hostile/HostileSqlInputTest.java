package io.taskflow4j.persistence.jdbc.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.jdbc.TestDatabases;
import io.taskflow4j.verify.Problem;
import io.taskflow4j.verify.Report;
import io.taskflow4j.verify.StoreVerifier;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile rows and input against the SQL backend: corrupt and truncated JSON in columns, unknown
 * atom types, states and intentions, failure dicts of another version, SQL metacharacters in names
 * and meta, and connection strings carrying passwords. Each corrupt row fails the reads that need
 * it with a {@link StorageException} naming it, and the row is left as it was. (A schema newer than
 * the code: {@code AbstractMigrationTest.aSchemaNewerThanTheCodeIsRefusedAndLeftUntouched}.)
 */
class HostileSqlInputTest {
  @TempDir Path dir;

  private String url() {
    return "sqlite:///" + dir.resolve("store.db");
  }

  private java.sql.Connection raw() throws Exception {
    return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("store.db"));
  }

  private static LogBook seed(Connection c) {
    return c.saveLogBook(
        LogBook.create("book")
            .withFlow(
                FlowDetail.create("f")
                    .withAtom(TaskDetail.create("a").put(AtomState.SUCCESS, Map.of("k", 1)))
                    .withAtom(TaskDetail.create("b"))));
  }

  /** Every column of every row of the three tables, as text. */
  private List<String> rows() throws Exception {
    List<String> out = new ArrayList<>();
    try (java.sql.Connection c = raw();
        Statement st = c.createStatement()) {
      for (String t : List.of("logbooks", "flowdetails", "atomdetails")) {
        try (ResultSet rs = st.executeQuery("SELECT * FROM " + t + " ORDER BY uuid")) {
          int n = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            StringBuilder sb = new StringBuilder(t);
            for (int i = 1; i <= n; i++) {
              sb.append('|').append(rs.getString(i));
            }
            out.add(sb.toString());
          }
        }
      }
    }
    return out;
  }

  static Stream<Arguments> corruptColumns() {
    return Stream.of(
        Arguments.of("atomdetails", "results", "{\"k\": ", "not valid JSON"),
        Arguments.of("atomdetails", "results", "[".repeat(10_000) + "]".repeat(10_000), "nesting"),
        Arguments.of("atomdetails", "failure", "[1, 2]", "failure"),
        Arguments.of(
            "atomdetails",
            "failure",
            "{\"version\": 99, \"exc_type_names\": [\"X\"], \"exception_str\": \"x\"}",
            "version"),
        Arguments.of("atomdetails", "atom_type", "EVIL_DETAIL", "EVIL_DETAIL"),
        Arguments.of("atomdetails", "state", "EXPLODED", "EXPLODED"),
        Arguments.of("atomdetails", "intention", "DESTROY", "DESTROY"),
        Arguments.of("atomdetails", "meta", "not json at all", "not valid JSON"),
        Arguments.of("flowdetails", "meta", "{\"factory\": ", "not valid JSON"),
        Arguments.of("flowdetails", "state", "NOPE", "NOPE"),
        Arguments.of("logbooks", "meta", "\u0000\u0001garbage", "not valid JSON"));
  }

  @ParameterizedTest(name = "[{index}] {0}.{1} = {2}")
  @MethodSource("corruptColumns")
  void aCorruptRowFailsItsReadsByNameAndIsLeftAsItWas(
      String table, String column, String value, String says) throws Exception {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      LogBook book = seed(c);
      String uuid =
          switch (table) {
            case "logbooks" -> book.uuid();
            case "flowdetails" -> book.flows().get(0).uuid();
            default -> book.flows().get(0).atoms().get(0).uuid();
          };
      try (java.sql.Connection r = raw();
          PreparedStatement ps =
              r.prepareStatement("UPDATE " + table + " SET " + column + " = ? WHERE uuid = ?")) {
        ps.setString(1, value);
        ps.setString(2, uuid);
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      List<String> before = rows();
      assertThatThrownBy(() -> c.getLogBook(book.uuid()))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining(uuid)
          .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase(says));
      Report report = StoreVerifier.verify(c);
      assertThat(report.problems()).extracting(Problem::kind).contains(Problem.Kind.UNREADABLE);
      assertThat(rows()).isEqualTo(before);
    }
  }

  static Stream<String> metacharacters() {
    return Stream.of(
        "'; DROP TABLE logbooks; --",
        "\" OR 1=1 --",
        "%_\\%",
        "a\u0000b",
        "Robert'); DELETE FROM atomdetails WHERE ('1'='1");
  }

  @ParameterizedTest(name = "[{index}] SQLite: {0}")
  @MethodSource("metacharacters")
  void sqlMetacharactersInNamesAndMetaAreStoredAsData(String evil) throws Exception {
    roundTrip(url(), evil);
  }

  @ParameterizedTest(name = "[{index}] PostgreSQL: {0}")
  @MethodSource("metacharacters")
  void sqlMetacharactersAreStoredAsDataOnPostgres(String evil, @PostgresDatabase String db)
      throws Exception {
    if (evil.indexOf('\u0000') >= 0) {
      // PostgreSQL text cannot hold NUL: a typed error, and nothing written
      try (Backend b = Backends.open(TestDatabases.postgresUrl(db));
          Connection c = b.getConnection()) {
        assertThatThrownBy(() -> c.saveLogBook(LogBook.create(evil)))
            .isInstanceOf(TaskFlowException.class)
            .hasMessageNotContaining("\u0000");
        assertThat(c.getLogBooks()).isEmpty();
      }
      return;
    }
    roundTrip(TestDatabases.postgresUrl(db), evil);
  }

  private static void roundTrip(String url, String evil) {
    try (Backend b = Backends.open(url);
        Connection c = b.getConnection()) {
      seed(c);
      LogBook saved =
          c.saveLogBook(
              LogBook.create(evil)
                  .withMeta(Map.of(evil, evil))
                  .withFlow(
                      FlowDetail.create(evil)
                          .withMeta(Map.of("k", evil))
                          .withAtom(TaskDetail.create(evil).put(AtomState.SUCCESS, evil))));
      LogBook back = c.getLogBook(saved.uuid());
      assertThat(back.name()).isEqualTo(evil);
      assertThat(back.meta()).containsEntry(evil, evil);
      assertThat(back.flows().get(0).name()).isEqualTo(evil);
      assertThat(((TaskDetail) back.flows().get(0).atoms().get(0)).results()).isEqualTo(evil);
      // the other book and every table are still there
      assertThat(c.getLogBooks()).hasSize(2);
      assertThat(StoreVerifier.verify(c).ok()).isTrue();
    }
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(
      strings = {
        "postgresql://u:s3cret@127.0.0.1:notaport/db",
        "postgresql://u:s3cret@127.0.0.1:5432/db?max_retries=lots",
        "mysql://u:s3cret@127.0.0.1/db?max_pool_size=-3",
        "postgresql://u:s3cret@127.0.0.1/db?durability=sometimes",
        "postgresql://u:s3cret@127.0.0.1/db?pool_timeout=forever",
        "mariadb://u:s3cret@127.0.0.1/db?isolation_level=CHAOS"
      })
  void aMalformedSqlConnectionIsRefusedWithoutShowingThePassword(String connection) {
    assertThatThrownBy(() -> Backends.fetch(connection).close())
        .isInstanceOf(InvalidConfigurationException.class)
        .satisfies(e -> assertThat(e.toString()).doesNotContain("s3cret"))
        .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
  }

  @Test
  void anUnreachableServerIsAStorageErrorThatMasksThePassword() {
    String conn = "postgresql://u:s3cret@127.0.0.1:1/db?pool_timeout=2&max_retries=0";
    assertThatThrownBy(() -> Backends.open(conn).close())
        .isInstanceOf(TaskFlowException.class)
        .satisfies(e -> assertThat(e.toString()).doesNotContain("s3cret"))
        .satisfies(
            e -> {
              for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                assertThat(String.valueOf(t.getMessage())).doesNotContain("s3cret");
              }
            });
    try (Backend b = Backends.fetch(conn)) {
      assertThat(b.toString()).doesNotContain("s3cret");
      assertThat(b.conf().toString()).doesNotContain("s3cret");
    }
  }

  @Test
  void anOrphanAtomRowIsReportedByTheVerifier() throws Exception {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      LogBook book = seed(c);
      String atom = book.flows().get(0).atoms().get(1).uuid();
      try (java.sql.Connection r = raw();
          PreparedStatement ps =
              r.prepareStatement("UPDATE atomdetails SET parent_uuid = ? WHERE uuid = ?")) {
        // SQLite enforces foreign keys only when asked, as TaskFlow's own files show
        ps.setString(1, "no-such-flow");
        ps.setString(2, atom);
        ps.executeUpdate();
      }
      Report report = StoreVerifier.verify(c);
      assertThat(report.problems())
          .anySatisfy(
              p -> {
                assertThat(p.kind()).isEqualTo(Problem.Kind.ORPHAN);
                assertThat(p.location()).isEqualTo("atom detail " + atom);
                assertThat(p.message()).contains("no-such-flow");
              });
    }
  }

  @Test
  void aSoundSqlStoreIsConsistent() {
    try (Backend b = Backends.open(url());
        Connection c = b.getConnection()) {
      seed(c);
      Report r = StoreVerifier.verify(c);
      assertThat(r.problems()).isEmpty();
      assertThat(r.atoms()).isEqualTo(2);
    }
  }

  @Test
  void noLogLineShowsThePassword() {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen =
        new ch.qos.logback.core.read.ListAppender<>();
    seen.start();
    root.addAppender(seen);
    ch.qos.logback.classic.Level level = root.getLevel();
    root.setLevel(ch.qos.logback.classic.Level.DEBUG);
    try {
      String conn = "postgresql://u:s3cret@127.0.0.1:1/db?pool_timeout=1&max_retries=1";
      assertThatThrownBy(() -> Backends.open(conn).close()).isInstanceOf(TaskFlowException.class);
    } finally {
      root.detachAppender(seen);
      root.setLevel(level);
    }
    assertThat(seen.list).isNotEmpty();
    for (ch.qos.logback.classic.spi.ILoggingEvent e : seen.list) {
      assertThat(e.getFormattedMessage()).doesNotContain("s3cret");
      for (ch.qos.logback.classic.spi.IThrowableProxy t = e.getThrowableProxy();
          t != null;
          t = t.getCause()) {
        assertThat(String.valueOf(t.getMessage())).doesNotContain("s3cret");
      }
    }
  }
}
