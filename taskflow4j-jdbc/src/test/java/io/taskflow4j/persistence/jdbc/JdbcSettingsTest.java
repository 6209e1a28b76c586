package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.StorageException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Connection strings, configuration keys, masking and error classification. */
class JdbcSettingsTest {

  private static JdbcSettings settings(String connection) {
    return JdbcSettings.from(BackendConf.parse(connection));
  }

  @Test
  void sqliteUrlsFollowSqlAlchemy() {
    assertThat(settings("sqlite:////tmp/x/flows.db").jdbcUrl())
        .isEqualTo("jdbc:sqlite:/tmp/x/flows.db");
    assertThat(settings("sqlite:///flows.db").jdbcUrl()).isEqualTo("jdbc:sqlite:flows.db");
    for (String mem : new String[] {"sqlite://", "sqlite:///", "sqlite:///:memory:"}) {
      JdbcSettings s = settings(mem);
      assertThat(s.memory()).as(mem).isTrue();
      assertThat(s.dialect()).isEqualTo(Dialect.SQLITE);
    }
    assertThat(settings("sqlite+pysqlite:////tmp/a.db").jdbcUrl())
        .isEqualTo("jdbc:sqlite:/tmp/a.db");
    assertThatThrownBy(() -> settings("sqlite://host/x.db"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("no host");
  }

  @Test
  void serverUrlsBecomeJdbcUrlsWithoutCredentials() {
    JdbcSettings pg =
        settings("postgresql+psycopg2://app:s3cret@db.example:6543/flows?sslmode=require");
    assertThat(pg.dialect()).isEqualTo(Dialect.POSTGRESQL);
    assertThat(pg.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/flows");
    assertThat(pg.user()).isEqualTo("app");
    assertThat(pg.password()).isEqualTo("s3cret");
    assertThat(pg.driverProperties()).containsEntry("sslmode", "require");
    assertThat(pg.isolation()).isEqualTo("TRANSACTION_READ_COMMITTED");
    assertThat(settings("postgres://u@h/d").dialect()).isEqualTo(Dialect.POSTGRESQL);

    JdbcSettings my =
        settings("mysql+pymysql://root:pw@127.0.0.1:3306/test?max_pool_size=3&sslMode=disable");
    assertThat(my.dialect()).isEqualTo(Dialect.MYSQL);
    assertThat(my.jdbcUrl()).isEqualTo("jdbc:mariadb://127.0.0.1:3306/test");
    assertThat(my.maxPoolSize()).isEqualTo(3);
    assertThat(my.driverProperties())
        .containsEntry("sslMode", "disable")
        .doesNotContainKey("max_pool_size");
    assertThat(settings("mariadb://u@h/d").dialect()).isEqualTo(Dialect.MYSQL);

    assertThatThrownBy(() -> settings("postgresql://u:pw@h:5432"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("names no database")
        .hasMessageNotContaining("pw@");
  }

  @Test
  void plainJdbcUrlsPickTheDialectFromTheSubProtocol() {
    assertThat(settings("jdbc:postgresql://h/d").dialect()).isEqualTo(Dialect.POSTGRESQL);
    assertThat(settings("jdbc:mariadb://h/d").dialect()).isEqualTo(Dialect.MYSQL);
    assertThat(settings("jdbc:sqlite:/tmp/x.db").dialect()).isEqualTo(Dialect.SQLITE);
    assertThat(settings("jdbc:sqlite::memory:").memory()).isTrue();
    JdbcSettings withSecret =
        settings("jdbc:postgresql://h/d?user=app&password=Hunter2Secret&sslmode=require");
    assertThat(withSecret.jdbcUrl()).isEqualTo("jdbc:postgresql://h/d?sslmode=require");
    assertThat(withSecret.user()).isEqualTo("app");
    assertThat(withSecret.password()).isEqualTo("Hunter2Secret");
    assertThat(withSecret.toString() + withSecret.describe()).doesNotContain("Hunter2Secret");
    assertThatThrownBy(() -> settings("jdbc:oracle:thin:@h:1521:x"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("oracle");
  }

  @Test
  void confKeysAreCheckedWithClearMessages() {
    JdbcSettings s =
        JdbcSettings.from(
            BackendConf.of(
                Map.of(
                    "connection", "postgresql://u@h/d",
                    "pool_timeout", "2.5",
                    "idle_timeout", "600",
                    "isolation_level", "SERIALIZABLE",
                    "durability", "process")));
    assertThat(s.poolTimeout()).isEqualTo(Duration.ofMillis(2500));
    assertThat(s.idleTimeout()).isEqualTo(Duration.ofSeconds(600));
    assertThat(s.isolation()).isEqualTo("TRANSACTION_SERIALIZABLE");
    assertThat(s.processDurability()).isTrue();
    assertThat(settings("sqlite://").processDurability()).isFalse();

    assertThatThrownBy(() -> settings("sqlite://?durability=disk"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("durability");
    assertThatThrownBy(() -> settings("sqlite://?max_pool_size=0"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("max_pool_size");
    assertThatThrownBy(() -> settings("mysql://u@h/d?mysql_sql_mode=TRADITIONAL';DROP"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("mysql_sql_mode");
    assertThatThrownBy(() -> settings("postgresql://u@h/d?isolation_level=AUTOCOMMIT"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("AUTOCOMMIT");
  }

  @Test
  void thePasswordAppearsInNoDescriptionOrToString() throws Exception {
    String url = "postgresql://app:Hunter2Secret@127.0.0.1:5432/flows";
    JdbcSettings s = settings(url);
    assertThat(s.toString()).doesNotContain("Hunter2Secret");
    assertThat(s.describe()).doesNotContain("Hunter2Secret");
    try (Backend b = Backends.fetch(url)) {
      assertThat(b.toString()).doesNotContain("Hunter2Secret").contains("app:***@");
      assertThat(b.conf().toString()).doesNotContain("Hunter2Secret");
    }
  }

  @Test
  void anUnreachableServerFailsTypedAfterTheRetryBudgetWithoutThePassword() {
    // Port 1 on loopback refuses at once; two attempts, short waits.
    String url =
        "postgresql://app:Hunter2Secret@127.0.0.1:1/flows?max_retries=1&retry_backoff=0.01"
            + "&pool_timeout=1";
    try (Backend b = Backends.fetch(url);
        Connection c = b.getConnection()) {
      assertThatThrownBy(c::upgrade)
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("upgrading the schema")
          .hasMessageContaining("127.0.0.1:1/flows")
          .hasMessageContaining("after 2 attempts")
          .hasMessageNotContaining("Hunter2Secret");
    }
  }

  @Test
  void transientErrorsAreToldFromTheRest() {
    assertThat(SqlErrors.isTransient(new SQLException("gone", "08006"), Dialect.POSTGRESQL))
        .isTrue();
    assertThat(SqlErrors.isTransient(new SQLException("killed", "57P01"), Dialect.POSTGRESQL))
        .isTrue();
    assertThat(
            SqlErrors.isTransient(new SQLException("serialization", "40001"), Dialect.POSTGRESQL))
        .isTrue();
    assertThat(SqlErrors.isTransient(new SQLException("deadlock", "40P01"), Dialect.POSTGRESQL))
        .isTrue();
    assertThat(SqlErrors.isTransient(new SQLException("dup", "23505"), Dialect.POSTGRESQL))
        .isFalse();
    assertThat(SqlErrors.isTransient(new SQLException("syntax", "42601"), Dialect.POSTGRESQL))
        .isFalse();
    assertThat(SqlErrors.isTransient(new SQLException("gone away", "HY000", 2006), Dialect.MYSQL))
        .isTrue();
    assertThat(SqlErrors.isTransient(new SQLException("deadlock", "HY000", 1213), Dialect.MYSQL))
        .isTrue();
    assertThat(SqlErrors.isTransient(new SQLException("too long", "22001", 1406), Dialect.MYSQL))
        .isFalse();
    assertThat(SqlErrors.isTransient(new SQLException("busy", null, 5), Dialect.SQLITE)).isTrue();
    assertThat(SqlErrors.isTransient(new SQLException("constraint", null, 19), Dialect.SQLITE))
        .isFalse();
    assertThat(SqlErrors.isTransient(new SQLTransientConnectionException("pool"), Dialect.MYSQL))
        .isTrue();
    SQLException chained = new SQLException("batch failed", "HY000");
    chained.setNextException(new SQLException("conn", "08003"));
    assertThat(SqlErrors.isTransient(chained, Dialect.POSTGRESQL)).isTrue();
  }

  @Test
  void everyServerSessionEndsWhenIdleInATransactionForTransactionIdleTimeout() {
    JdbcSettings pg = settings("postgresql://u@h/d");
    assertThat(pg.transactionIdleTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(ConnectionSource.initSql(pg))
        .isEqualTo("SELECT set_config('idle_in_transaction_session_timeout', '1000', false)");
    assertThat(ConnectionSource.initSql(settings("postgresql://u@h/d?durability=process")))
        .isEqualTo(
            "SELECT set_config('idle_in_transaction_session_timeout', '1000', false),"
                + " set_config('synchronous_commit', 'off', false)");
    assertThat(ConnectionSource.initSql(settings("postgresql://u@h/d?transaction_idle_timeout=0")))
        .isNull();
    assertThat(settings("postgresql://u@h/d?transaction_idle_timeout=0").driverProperties())
        .doesNotContainKey("transaction_idle_timeout");

    // MariaDB counts whole seconds; MySQL has no such setting and never sees it.
    assertThat(ConnectionSource.initSql(settings("mariadb://u@h/d?transaction_idle_timeout=1.5")))
        .isEqualTo(
            "SET SESSION sql_mode = 'TRADITIONAL'"
                + " /*M!100300 , SESSION idle_transaction_timeout = 2 */");
    assertThat(ConnectionSource.initSql(settings("mysql://u@h/d?mysql_sql_mode=")))
        .isEqualTo(
            "SET SESSION sql_mode = @@SESSION.sql_mode"
                + " /*M!100300 , SESSION idle_transaction_timeout = 1 */");
    assertThat(
            ConnectionSource.initSql(
                settings("mysql://u@h/d?mysql_sql_mode=&transaction_idle_timeout=0")))
        .isNull();
    assertThat(ConnectionSource.initSql(settings("sqlite:///x.db"))).isNull();

    assertThatThrownBy(() -> settings("postgresql://u@h/d?transaction_idle_timeout=0.1"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("'transaction_idle_timeout' must be 0 (off) or at least 0.5");
    assertThatThrownBy(() -> settings("postgresql://u@h/d?transaction_idle_timeout=soon"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("transaction_idle_timeout");
  }

  @Test
  void aSessionEndedIdleInItsTransactionIsRetriedAndKnownNotToHaveCommitted() {
    SQLException ended =
        new SQLException(
            "FATAL: terminating connection due to idle-in-transaction timeout", "25P03");
    assertThat(SqlErrors.isTransient(ended, Dialect.POSTGRESQL)).isTrue();
    assertThat(SqlErrors.endedBeforeCommit(ended)).isTrue();
    assertThat(SqlErrors.endedBeforeCommit(new SQLException("reset", "08006"))).isFalse();
    assertThat(SqlErrors.endedBeforeCommit(new SQLException("socket", "08000", -1))).isFalse();
  }

  @Test
  void theProviderServesItsSchemesThroughTheServiceLoader() {
    assertThat(Backends.knownSchemes())
        .contains("sqlite", "postgresql", "postgres", "mysql", "mariadb", "jdbc");
    try (Backend b = Backends.fetch("sqlite://")) {
      assertThat(b).isInstanceOf(JdbcBackend.class);
    }
  }

  @Test
  void aClosedBackendOrConnectionFailsTypedAndSaysWhatToDo() {
    Backend b = Backends.fetch("sqlite://");
    Connection c = b.getConnection();
    c.upgrade();
    c.close();
    assertThatThrownBy(c::getLogBooks)
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("closed");
    b.close();
    assertThatThrownBy(b::getConnection)
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("closed")
        .hasMessageContaining("fetch a new one");
  }
}
