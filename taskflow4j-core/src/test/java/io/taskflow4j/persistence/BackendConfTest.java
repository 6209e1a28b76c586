package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Connection strings (TaskFlow's {@code extract_driver_and_conf}, spec §4.1) and typed getters. */
class BackendConfTest {

  private static Map<String, Object> keys(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  static Stream<Arguments> extractTable() {
    return Stream.of(
        Arguments.of("sqlite:///tmp/x.db", "sqlite", null, keys("path", "/tmp/x.db")),
        Arguments.of("sqlite://", "sqlite", null, keys()),
        Arguments.of("memory://", "memory", null, keys()),
        Arguments.of("memory:", "memory", null, keys()),
        Arguments.of("memory", "memory", null, keys()),
        Arguments.of("MEMORY://", "memory", null, keys()),
        Arguments.of("dir:///tmp/foo", "dir", null, keys("path", "/tmp/foo")),
        Arguments.of("file:///tmp/foo", "file", null, keys("path", "/tmp/foo")),
        Arguments.of("dir:///tmp/with%20space", "dir", null, keys("path", "/tmp/with space")),
        Arguments.of(
            "zookeeper://localhost:2181/?timeout=5",
            "zookeeper",
            null,
            keys("port", 2181, "hostname", "localhost:2181", "timeout", "5")),
        Arguments.of("sqlite:///", "sqlite", null, keys()),
        Arguments.of(
            "mysql+pymysql://user:pw@host:3306/db?a=b&max_retries=3",
            "mysql",
            "pymysql",
            keys(
                "username", "user",
                "password", "pw",
                "port", 3306,
                "hostname", "host:3306",
                "path", "/db",
                "a", "b",
                "max_retries", "3")),
        Arguments.of(
            "postgresql://u:p@h/db",
            "postgresql",
            null,
            keys("username", "u", "password", "p", "hostname", "h", "path", "/db")),
        Arguments.of(
            "zookeeper://h1:2181,h2:2181/root",
            "zookeeper",
            null,
            keys("hostname", "h1:2181,h2:2181", "path", "/root")),
        Arguments.of(
            "postgresql://[::1]:5432/db",
            "postgresql",
            null,
            keys("port", 5432, "hostname", "[::1]:5432", "path", "/db")),
        Arguments.of(
            "postgresql://[::1]/db", "postgresql", null, keys("hostname", "[::1]", "path", "/db")),
        Arguments.of(
            "mysql://us%40er:p%40ss%3Aw%2Frd@h",
            "mysql", null, keys("username", "us@er", "password", "p@ss:w/rd", "hostname", "h")),
        Arguments.of(
            "mysql://user:a+b@h",
            "mysql",
            null,
            keys("username", "user", "password", "a+b", "hostname", "h")),
        Arguments.of(
            "mysql://user:p@ss@h",
            "mysql",
            null,
            keys("username", "user", "password", "p@ss", "hostname", "h")),
        Arguments.of("mysql://user@h", "mysql", null, keys("username", "user", "hostname", "h")),
        Arguments.of(
            "mysql://:secret@h", "mysql", null, keys("password", "secret", "hostname", "h")),
        Arguments.of(
            "zookeeper://h?flag&x=", "zookeeper", null, keys("hostname", "h", "flag", "", "x", "")),
        Arguments.of("memory://#frag", "memory", null, keys()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("extractTable")
  void extractDriverAndConf(
      String connection, String backend, String driver, Map<String, Object> expected) {
    BackendConf conf = BackendConf.parse(connection);
    assertThat(conf.backendName()).isEqualTo(backend);
    assertThat(conf.driver().orElse(null)).isEqualTo(driver);
    assertThat(conf.connection()).isEqualTo(connection);
    Map<String, Object> rest = new LinkedHashMap<>(conf.asMap());
    assertThat(rest.remove("connection")).isEqualTo(connection);
    assertThat(rest).isEqualTo(expected);
  }

  @Test
  void explicitKeysWinOverUriKeys() {
    Map<String, Object> given = new LinkedHashMap<>();
    given.put("connection", "mysql://user:pw@host:3306/db?max_retries=3&path=/q");
    given.put("max_retries", 7);
    given.put("password", "explicit");
    given.put("path", "/explicit");
    given.put("port", 1);
    BackendConf conf = BackendConf.of(given);
    assertThat(conf.asMap())
        .containsEntry("max_retries", 7)
        .containsEntry("password", "explicit")
        .containsEntry("path", "/explicit")
        .containsEntry("port", 1)
        .containsEntry("username", "user")
        .containsEntry("hostname", "host:3306");
    // the URI's own path beats a query parameter named path
    assertThat(BackendConf.parse("dir:///a?path=/b").getString("path")).contains("/a");
  }

  @Test
  void connectionIsStripped() {
    assertThat(BackendConf.parse("  memory://  ").connection()).isEqualTo("memory://");
  }

  @Test
  void asMapIsUnmodifiable() {
    BackendConf conf = BackendConf.parse("memory://");
    assertThatThrownBy(() -> conf.asMap().put("x", 1))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void givenMapIsCopied() {
    Map<String, Object> given = new HashMap<>();
    given.put("connection", "memory://");
    BackendConf conf = BackendConf.of(given);
    given.put("late", 1);
    assertThat(conf.has("late")).isFalse();
  }

  // ---- invalid configurations ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "postgresql://h:abc/db",
        "postgresql://h:0/db",
        "postgresql://h:65536/db",
        "postgresql://h:-1/db",
        "postgresql://h:99999999999999/db",
        "postgresql://[::1]:x/db",
        "postgresql://h1:5432,h2:nope/db",
        "postgresql://h1:0,h2:5432/db"
      })
  void badPortsAreRejected(String connection) {
    assertThatThrownBy(() -> BackendConf.parse(connection))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("port")
        .hasMessageContaining("postgresql://");
  }

  @Test
  void portOutOfRangeSaysTheRange() {
    assertThatThrownBy(() -> BackendConf.parse("mysql://h:70000"))
        .hasMessageContaining("70000")
        .hasMessageContaining("1..65535");
    assertThatThrownBy(() -> BackendConf.parse("mysql://h:99999999999999"))
        .hasMessageContaining("1..65535");
  }

  @Test
  void badPortMessageMasksThePassword() {
    assertThatThrownBy(() -> BackendConf.parse("mysql://user:hunter2@h:port/db"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageNotContaining("hunter2")
        .hasMessageContaining("user:***@");
  }

  @Test
  void emptyConnection() {
    for (String empty : new String[] {"", "   "}) {
      assertThatThrownBy(() -> BackendConf.parse(empty))
          .isInstanceOf(InvalidConfigurationException.class)
          .hasMessageContaining("empty")
          .hasMessageContaining("memory://");
    }
    assertThatThrownBy(() -> BackendConf.parse(null))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("required");
  }

  @Test
  void nonStringConnection() {
    assertThatThrownBy(() -> BackendConf.of(Map.of("connection", 42)))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("'connection' must be a string")
        .hasMessageContaining("Integer");
  }

  @Test
  void missingConnectionKey() {
    assertThatThrownBy(() -> BackendConf.of(Map.of("path", "/tmp")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("no 'connection' key")
        .hasMessageContaining("memory://");
    assertThatThrownBy(() -> BackendConf.of(null))
        .isInstanceOf(InvalidConfigurationException.class);
  }

  @Test
  void otherMalformedConnections() {
    assertThatThrownBy(() -> BackendConf.parse("mysql+://h"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("scheme");
    assertThatThrownBy(() -> BackendConf.parse("mysql://us%zzer@h"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("percent");
    assertThatThrownBy(() -> BackendConf.parse("mysql://h/?=1"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("without a name");
    assertThatThrownBy(() -> BackendConf.parse("memory://\u0000"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("NUL");
  }

  @Test
  void emptyHostInAListIsRejected() {
    assertThatThrownBy(() -> BackendConf.parse("zookeeper://h1:2181,,h2:2181/root"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("empty host");
  }

  @Test
  void nullKeyIsRejected() {
    Map<String, Object> m = new HashMap<>();
    m.put("connection", "memory://");
    m.put(null, 1);
    assertThatThrownBy(() -> BackendConf.of(m))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("null");
  }

  // ---- masking ----

  static Stream<Arguments> secretShapes() {
    return Stream.of(
        Arguments.of("mysql://user:hunter2@host/db", "hunter2"),
        Arguments.of("mysql+pymysql://user:hunter2@host:3306/db?a=b", "hunter2"),
        Arguments.of("postgresql://u:hunter2@[::1]:5432/db", "hunter2"),
        Arguments.of("postgresql://:hunter2@h/db", "hunter2"),
        Arguments.of("mysql://user:hun@ter2@host/db", "ter2"),
        Arguments.of("mysql://user:hun@ter2@host/db", "hun@"),
        Arguments.of("mysql://user:hun:ter2@host/db", "ter2"),
        Arguments.of("mysql://user:hun%40ter2@host/db", "hun%40ter2"),
        Arguments.of("mysql://user:hunter2/x@host/db", "hunter2"),
        Arguments.of("zookeeper://h1:2181,h2:2181/root?password=hunter2", "hunter2"),
        Arguments.of("zookeeper://h/?keyfile_password=hunter2&timeout=5", "hunter2"),
        Arguments.of("zookeeper://h/?PassWord=hunter2", "hunter2"),
        Arguments.of("mysql://h/db?a=1&token=hunter2#frag", "hunter2"),
        Arguments.of("mysql://h/db?secret=hunter2&pwd=hunter2", "hunter2"),
        Arguments.of("mysql://h/db?api_key=hunter2", "hunter2"),
        Arguments.of("mysql://h/db?pass%77ord=hunter2", "hunter2"),
        Arguments.of("redis://:hunter2@h", "hunter2"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("secretShapes")
  void maskAndToStringNeverShowThePassword(String connection, String secret) {
    assertThat(BackendConf.mask(connection)).doesNotContain(secret).contains("***");
    BackendConf conf;
    try {
      conf = BackendConf.parse(connection);
    } catch (InvalidConfigurationException e) {
      assertThat(e.getMessage()).doesNotContain(secret);
      return;
    }
    assertThat(conf.toString()).doesNotContain(secret).contains("***");
  }

  @Test
  void maskKeepsWhatIsNotSecret() {
    assertThat(BackendConf.mask("mysql://user:pw@host:3306/db?a=b"))
        .isEqualTo("mysql://user:***@host:3306/db?a=b");
    assertThat(BackendConf.mask("mysql://user@host/db")).isEqualTo("mysql://user@host/db");
    assertThat(BackendConf.mask("dir:///tmp/foo")).isEqualTo("dir:///tmp/foo");
    assertThat(BackendConf.mask("memory")).isEqualTo("memory");
    assertThat(BackendConf.mask("zookeeper://h/?timeout=5&password=x"))
        .isEqualTo("zookeeper://h/?timeout=5&password=***");
    assertThat(BackendConf.mask(null)).isNull();
  }

  @Test
  void toStringMasksExplicitSecretKeysAndNestedOnes() {
    Map<String, Object> given = new LinkedHashMap<>();
    given.put("connection", "mysql://u@h/db");
    given.put("password", "hunter2");
    given.put("keyfile_password", "hunter3");
    given.put("engine_args", Map.of("password", "hunter4", "pool", 5));
    given.put("timeout", 5);
    given.put("dsn", "postgresql://u:hunter5@h/db");
    given.put("api_key", "hunter6");
    String s = BackendConf.of(given).toString();
    assertThat(s)
        .doesNotContain("hunter2")
        .doesNotContain("hunter3")
        .doesNotContain("hunter4")
        .doesNotContain("hunter5")
        .doesNotContain("hunter6")
        .contains("timeout=5")
        .contains("pool=5")
        .contains("connection=mysql://u@h/db");
  }

  // ---- typed getters ----

  private static BackendConf conf(Object... kv) {
    Map<String, Object> m = keys(kv);
    m.put("connection", "memory://");
    return BackendConf.of(m);
  }

  @Test
  void getInt() {
    BackendConf c = conf("a", "12", "b", 7, "c", 7L, "d", "x", "e", "1.5", "f", 100, "g", " 3 ");
    assertThat(c.getInt("a", 0, 0, 100)).isEqualTo(12);
    assertThat(c.getInt("b", 0, 0, 100)).isEqualTo(7);
    assertThat(c.getInt("c", 0, 0, 100)).isEqualTo(7);
    assertThat(c.getInt("g", 0, 0, 100)).isEqualTo(3);
    assertThat(c.getInt("missing", 42, 0, 100)).isEqualTo(42);
    assertThatThrownBy(() -> c.getInt("d", 0, 0, 100))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("'d'")
        .hasMessageContaining("whole number")
        .hasMessageContaining("'x'");
    assertThatThrownBy(() -> c.getInt("e", 0, 0, 100))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("whole number");
    assertThatThrownBy(() -> c.getInt("f", 0, 0, 10))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("between 0 and 10")
        .hasMessageContaining("100");
    assertThat(c.getInt("f", 0, 100, 100)).isEqualTo(100);
  }

  @Test
  void getIntNeverShowsASecretValue() {
    BackendConf c = conf("password", "hunter2");
    assertThatThrownBy(() -> c.getInt("password", 0, 0, 1))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void getBoolean() {
    BackendConf c =
        conf(
            "t1", "true", "t2", "YES", "t3", "on", "t4", "1", "t5", true, "f1", "false", "f2", "No",
            "f3", "off", "f4", "0", "f5", false, "bad", "maybe");
    for (String k : new String[] {"t1", "t2", "t3", "t4", "t5"}) {
      assertThat(c.getBoolean(k, false)).as(k).isTrue();
    }
    for (String k : new String[] {"f1", "f2", "f3", "f4", "f5"}) {
      assertThat(c.getBoolean(k, true)).as(k).isFalse();
    }
    assertThat(c.getBoolean("missing", true)).isTrue();
    assertThatThrownBy(() -> c.getBoolean("bad", false))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("'bad'")
        .hasMessageContaining("true or false")
        .hasMessageContaining("maybe");
  }

  @Test
  void getDuration() {
    BackendConf c =
        conf(
            "secs", "2.5",
            "int", 3,
            "iso", "PT1M",
            "lower", "pt2s",
            "neg", "-1",
            "negiso", "PT-1S",
            "negdur", Duration.ofSeconds(-5),
            "dur", Duration.ofMillis(5),
            "bad", "soon",
            "nan", "NaN",
            "inf", "Infinity",
            "huge", "1e30");
    assertThat(c.getDuration("secs", null)).isEqualTo(Duration.ofMillis(2500));
    assertThat(c.getDuration("int", null)).isEqualTo(Duration.ofSeconds(3));
    assertThat(c.getDuration("iso", null)).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.getDuration("lower", null)).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.getDuration("dur", null)).isEqualTo(Duration.ofMillis(5));
    assertThat(c.getDuration("missing", Duration.ofSeconds(9))).isEqualTo(Duration.ofSeconds(9));
    for (String k : new String[] {"neg", "negiso", "negdur"}) {
      assertThatThrownBy(() -> c.getDuration(k, null))
          .as(k)
          .isInstanceOf(InvalidConfigurationException.class)
          .hasMessageContaining("negative");
    }
    for (String k : new String[] {"bad", "nan", "inf", "huge"}) {
      assertThatThrownBy(() -> c.getDuration(k, null))
          .as(k)
          .isInstanceOf(InvalidConfigurationException.class)
          .hasMessageContaining("'" + k + "'");
    }
  }

  @Test
  void getChoice() {
    BackendConf c = conf("level", "Read Committed", "mode", "FAST", "bad", "slow");
    assertThat(c.getChoice("mode", "safe", "fast", "safe")).isEqualTo("fast");
    assertThat(c.getChoice("missing", "safe", "fast", "safe")).isEqualTo("safe");
    // choices declared in upper case still match, case-insensitively
    assertThat(c.getChoice("level", null, "READ COMMITTED", "SERIALIZABLE"))
        .isEqualTo("read committed");
    assertThatThrownBy(() -> c.getChoice("bad", "safe", "fast", "safe"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("'bad'")
        .hasMessageContaining("fast, safe")
        .hasMessageContaining("slow");
  }

  @Test
  void getStringAndHas() {
    BackendConf c = conf("a", 5, "n", null);
    assertThat(c.getString("a")).contains("5");
    assertThat(c.getString("n")).isEmpty();
    assertThat(c.has("a")).isTrue();
    assertThat(c.has("n")).isFalse();
    assertThat(c.has("zz")).isFalse();
  }
}
