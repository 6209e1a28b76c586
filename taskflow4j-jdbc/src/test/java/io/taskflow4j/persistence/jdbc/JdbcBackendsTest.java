package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQL backend and board on an application's DataSource. */
class JdbcBackendsTest {
  @TempDir Path dir;

  private static HikariDataSource postgresPool(String db) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl("jdbc:postgresql://" + TestDatabases.PG_HOST + "/" + db);
    c.setUsername(TestDatabases.PG_USER);
    c.setMaximumPoolSize(4);
    return new HikariDataSource(c);
  }

  @Test
  void aBackendAndABoardOnAPostgresDataSourceShareItsStoreAndLeaveItOpen(
      @PostgresDatabase String db) {
    try (HikariDataSource ds = postgresPool(db)) {
      LogBook saved;
      try (Backend backend = JdbcBackends.backend(ds, Map.of("durability", "process"));
          Jobboard board = JdbcBackends.jobboard(ds, Map.of("lease", "2", "board", "boot"))) {
        assertThat(backend.conf().connection()).startsWith("jdbc:postgresql://");
        try (Connection c = backend.getConnection()) {
          c.upgrade();
          saved = c.saveLogBook(LogBook.create("on-a-datasource"));
        }
        assertThat(board.leaseTime()).isEqualTo(Duration.ofSeconds(2));
        board.post(
            JobSpec.of(
                "job",
                new io.taskflow4j.jobs.BookRef(saved.name(), saved.uuid()),
                "00000000-0000-0000-0000-000000000001"));
        Optional<Claim> claim = board.claimNext(OwnerId.generate("t"));
        assertThat(claim).isPresent();
        claim.get().complete();
        assertThat(board.jobs()).isEmpty();
      }
      assertThat(ds.isClosed()).isFalse();
      // Everything is in the database the DataSource points to.
      try (Backend byUrl = Backends.fetch(TestDatabases.postgresUrl(db));
          Connection c = byUrl.getConnection()) {
        assertThat(c.getLogBook(saved.uuid()).name()).isEqualTo("on-a-datasource");
      }
    }
  }

  @Test
  void aSqliteDataSourceWorksToo() throws Exception {
    Path file = dir.resolve("app.db");
    org.sqlite.SQLiteDataSource ds = new org.sqlite.SQLiteDataSource();
    ds.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
    try (Backend backend = JdbcBackends.backend(ds, Map.of());
        Connection c = backend.getConnection()) {
      c.upgrade();
      LogBook book = c.saveLogBook(LogBook.create("sqlite"));
      assertThat(c.getLogBook(book.uuid()).name()).isEqualTo("sqlite");
    }
    try (java.sql.Connection raw = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      assertThat(raw.getMetaData().getTables(null, null, "logbooks", null).next()).isTrue();
    }
  }

  @Test
  void optionsOfThePoolAreRefusedWithWhereToSetThem() {
    org.sqlite.SQLiteDataSource ds = new org.sqlite.SQLiteDataSource();
    ds.setUrl("jdbc:sqlite:" + dir.resolve("x.db"));
    assertThatThrownBy(() -> JdbcBackends.backend(ds, Map.of("max_pool_size", "3")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("max_pool_size")
        .hasMessageContaining("on the DataSource itself");
    assertThatThrownBy(() -> JdbcBackends.backend(ds, Map.of("durabilty", "process")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("durability");
  }

  @Test
  void aDataSourceThatCannotConnectIsAStorageErrorWithoutItsPassword() {
    javax.sql.DataSource down =
        new RawDataSource(
            () -> {
              throw new SQLException(
                  "Connection to postgresql://app:pw-123@127.0.0.1:1/x refused", "08001");
            });
    assertThatThrownBy(() -> JdbcBackends.backend(down, Map.of()))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("127.0.0.1:1")
        .hasMessageNotContaining("pw-123");
  }
}
