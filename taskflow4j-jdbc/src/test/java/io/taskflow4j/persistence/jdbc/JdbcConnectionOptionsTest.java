package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.InvalidConfigurationException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The keys of SQL connection strings: this backend's, TaskFlow's and the JDBC driver's are
 * accepted, anything else is refused by name; credentials never reach the driver in the URL.
 */
class JdbcConnectionOptionsTest {

  @Test
  void aMisspelledOptionOfASqlUrlIsRefusedNamingTheKnownOnes() {
    assertThatThrownBy(() -> Backends.fetch("postgresql://u@127.0.0.1/db?durabilty=process"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("unknown option 'durabilty'")
        .hasMessageContaining("did you mean 'durability'?")
        .hasMessageContaining("max_pool_size")
        .hasMessageContaining("the properties of the PostgreSQL JDBC driver");
    assertThatThrownBy(() -> Backends.fetch("sqlite:///x.db?max_pool_sise=3"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("did you mean 'max_pool_size'?");
    assertThatThrownBy(() -> Backends.fetch("jdbc:mariadb://127.0.0.1/db?frobnicate=1"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("unknown option 'frobnicate'")
        .hasMessageContaining("MariaDB JDBC driver");
    // PostgreSQL's driver reads its properties in their own case only: another case is ignored
    assertThatThrownBy(() -> Backends.fetch("postgresql://u@127.0.0.1/db?SSLMODE=disable"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("unknown option 'SSLMODE'");
  }

  @Test
  void driverPropertiesTaskFlowKeysAndBoardKeysAreAccepted() {
    Backends.fetch("postgresql://u@127.0.0.1/db?sslmode=disable&connectTimeout=5").close();
    Backends.fetch("mariadb://u@127.0.0.1/db?sslMode=disable&SSLMODE=disable&useSsl=false").close();
    Backends.fetch("sqlite://?journal_size_limit=1000&busy_timeout=100").close();
    Backends.fetch(
            Map.of(
                "connection",
                "sqlite://",
                "max_overflow",
                5,
                "echo",
                false,
                "isolation_level",
                "SERIALIZABLE"))
        .close();
    // the board's keys on the URL of the backend, and the other way round
    Backends.fetch("sqlite://?lease=5&board=b").close();
    assertThatThrownBy(() -> Jobboards.open("sqlite://?leese=5"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("did you mean 'lease'?");
  }

  @Test
  void theUserPartOfAJdbcUrlGoesToTheDriverPropertiesNotTheUrl() {
    JdbcSettings s =
        JdbcSettings.from(
            BackendConf.parse(
                "jdbc:mariadb://app:Wrong%40Pass99@127.0.0.1:3306/db?sslMode=disable"));
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:mariadb://127.0.0.1:3306/db?sslMode=disable");
    assertThat(s.user()).isEqualTo("app");
    assertThat(s.password()).isEqualTo("Wrong@Pass99");
    assertThat(s.toString() + s.describe()).doesNotContain("Wrong");
    // this backend's own keys are not the driver's: they leave the URL too
    JdbcSettings own =
        JdbcSettings.from(
            BackendConf.parse("jdbc:postgresql://h/db?durability=process&sslmode=require&lease=5"));
    assertThat(own.jdbcUrl()).isEqualTo("jdbc:postgresql://h/db?sslmode=require");
    assertThat(own.processDurability()).isTrue();
  }

  @Test
  void scrubMasksWhereSecretsStandNotTheValueEverywhere() {
    JdbcSettings s = JdbcSettings.from(BackendConf.parse("postgresql://u:true@h/db"));
    String text = "connection is true; {user=u, password=true} for jdbc:postgresql://u:true@h/db";
    assertThat(s.scrub(text))
        .isEqualTo("connection is true; {user=u, password=***} for jdbc:postgresql://u:***@h/db");
  }
}
