package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.Jobboards;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Secrets in connection strings and in the text quoted around them: every shape that carries a
 * password is masked, nothing else is changed, and a password can come from a file or the
 * environment instead of the command line.
 */
class ConnectionSecretsTest {
  @TempDir Path dir;

  static Stream<Arguments> passwordShapes() {
    return Stream.of(
        Arguments.of("jdbc:mariadb://u:WrongPass99@127.0.0.1:3306/db", "WrongPass99"),
        Arguments.of("jdbc:mysql://u:WrongPass99@127.0.0.1/db?sslMode=disable", "WrongPass99"),
        Arguments.of("jdbc:mysql:loadbalance://u:WrongPass99@h1,h2/db", "WrongPass99"),
        Arguments.of("jdbc:postgresql://h/db?user=u&password=WrongPass99", "WrongPass99"),
        Arguments.of("jdbc:postgresql://h/db?sslpassword=WrongPass99&ssl=true", "WrongPass99"),
        Arguments.of("jdbc:sqlserver://h:1433;user=u;password=WrongPass99;db=x", "WrongPass99"),
        Arguments.of("jdbc:h2:mem:x;USER=sa;PASSWORD=WrongPass99", "WrongPass99"),
        Arguments.of(
            "jdbc:mariadb://address=(host=h)(port=3306)(user=u)(password=WrongPass99)/db",
            "WrongPass99"),
        Arguments.of("jdbc:oracle:thin:scott/WrongPass99@db.example:1521:orcl", "WrongPass99"),
        Arguments.of("zookeeper://user:WrongPass99@h1:2181,h2:2181/root", "WrongPass99"),
        Arguments.of("amqp://guest:WrongPass99@127.0.0.1:5672", "WrongPass99"),
        Arguments.of("amqps://guest:WrongPass99@broker/vhost?heartbeat=5", "WrongPass99"),
        Arguments.of("postgresql://u:Wrong%3APass@h/db", "Wrong%3APass"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("passwordShapes")
  void everyShapeThatCarriesAPasswordIsMasked(String connection, String secret) {
    assertThat(BackendConf.mask(connection)).doesNotContain(secret).contains("***");
    // the same string quoted inside a driver's message or a stack trace
    String quoted = "Could not connect to " + connection + " (Connection refused)";
    assertThat(BackendConf.maskText(quoted))
        .doesNotContain(secret)
        .contains("***")
        .startsWith("Could not connect to ")
        .endsWith(" (Connection refused)");
  }

  @Test
  void maskKeepsTheRestOfANestedUrl() {
    assertThat(BackendConf.mask("jdbc:mariadb://u:pw@127.0.0.1:3306/db?sslMode=disable"))
        .isEqualTo("jdbc:mariadb://u:***@127.0.0.1:3306/db?sslMode=disable");
    assertThat(BackendConf.mask("jdbc:sqlserver://h;user=u;password=p;db=x"))
        .isEqualTo("jdbc:sqlserver://h;user=u;password=***;db=x");
    assertThat(BackendConf.mask("jdbc:oracle:thin:scott/tiger@h:1521:orcl"))
        .isEqualTo("jdbc:oracle:thin:scott/***@h:1521:orcl");
    assertThat(BackendConf.mask("jdbc:sqlite:/tmp/x.db")).isEqualTo("jdbc:sqlite:/tmp/x.db");
  }

  static Stream<Arguments> secretFieldsInText() {
    return Stream.of(
        Arguments.of("props {user=u, password=hunter22} rejected", "hunter22"),
        Arguments.of("bad password = hunter22 given", "hunter22"),
        Arguments.of("{\"user\":\"u\",\"password\":\"hunter22\"}", "hunter22"),
        Arguments.of("{'password': 'hunter22', 'x': 1}", "hunter22"),
        Arguments.of("keyfile_password=hunter22&timeout=5", "hunter22"),
        Arguments.of("auth token=hunter22.", "hunter22"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("secretFieldsInText")
  void secretFieldsInTextAreMasked(String text, String secret) {
    assertThat(BackendConf.maskText(text)).doesNotContain(secret).contains("***");
  }

  @Test
  void jsonStaysJsonWhenASecretFieldIsMasked() {
    String json = "{\"password\":\"a\\\"b\",\"n\":1,\"dsn\":\"mysql://u:p@h/db\"}";
    String masked = BackendConf.maskText(json);
    assertThat(masked).isEqualTo("{\"password\":\"***\",\"n\":1,\"dsn\":\"mysql://u:***@h/db\"}");
    assertThat(Json.read(masked)).isInstanceOf(Map.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"true", "x", "1", "e", "Exception", "consistent"})
  void aSecretIsNeverSearchedForByItsValue(String password) {
    // what the password happens to spell stays as it is wherever it is not in a secret's place
    String line =
        "{\"connection\":\"postgresql://u:***@h/db\",\"consistent\":true,\"problems\":[]}";
    assertThat(BackendConf.maskText(line)).isEqualTo(line);
    BackendConf conf = BackendConf.parse("postgresql://u:" + password + "@h/db");
    String error = "java.lang.RuntimeException: 1 Exception in consistent text";
    assertThat(conf.redact(error)).isEqualTo(error);
  }

  @Test
  void plainTextIsLeftAlone() {
    for (String text :
        new String[] {
          "Access denied for user 'u'@'localhost' (using password: YES)",
          "\tat io.taskflow4j.persistence.Backends.fetch(Backends.java:61)",
          "Key (uuid)=(0b1c) already exists.",
          "dir:///tmp/store is not writable",
          ""
        }) {
      assertThat(BackendConf.maskText(text)).isEqualTo(text);
    }
    assertThat(BackendConf.maskText(null)).isNull();
  }

  // ---- the password from a file or an environment variable ----

  private Path secretFile(String content, String mode) throws Exception {
    Path f = dir.resolve("pw-" + System.nanoTime());
    Files.writeString(f, content);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
    return f;
  }

  @Test
  void aPasswordFileIsReadOnceIntoPasswordAndNeverShown() throws Exception {
    Path f = secretFile("s3cret-pw\n", "rw-------");
    BackendConf conf =
        BackendConf.parse("postgresql://app@h/db?password_file=" + f.toAbsolutePath());
    assertThat(conf.getString("password")).contains("s3cret-pw");
    assertThat(conf.toString()).doesNotContain("s3cret-pw");
    // read once: the configuration keeps the value even if the file goes
    Files.delete(f);
    assertThat(conf.getString("password")).contains("s3cret-pw");
    // a map, as Backends.fetch(Map) users give it; a group may read (but not write) it
    Path g = secretFile("pw2\r\nignored second line", "rw-r-----");
    BackendConf fromMap =
        BackendConf.of(Map.of("connection", "zookeeper://app@h/x", "password_file", g.toString()));
    assertThat(fromMap.getString("password")).contains("pw2");
  }

  @Test
  void aConfigurationMadeFromAnotherWithAPasswordFileIsTheSame() throws Exception {
    // as the CLI does to add --lease: the map of a parsed configuration holds both the password
    // read and the file it came from
    Path f = secretFile("s3cret-pw\n", "rw-------");
    BackendConf first = BackendConf.parse("postgresql://app@h/db?password_file=" + f);
    Map<String, Object> again = new java.util.LinkedHashMap<>(first.asMap());
    again.put("lease", "5");
    assertThat(BackendConf.of(again).getString("password")).contains("s3cret-pw");
    // a password that is not the file's is a conflict
    again.put("password", "other");
    assertThatThrownBy(() -> BackendConf.of(again))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("one way only")
        .hasMessageNotContaining("other")
        .hasMessageNotContaining("s3cret-pw");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rw-r--r--", "rw----r--", "rw-rw----", "rw-------x"})
  void aPasswordFileOtherUsersCanReadIsRefused(String mode) throws Exception {
    Path f = secretFile("s3cret-pw\n", mode.length() == 9 ? mode : "rw------x");
    assertThatThrownBy(() -> BackendConf.parse("postgresql://app@h/db?password_file=" + f))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("accessible to other users")
        .hasMessageContaining("chmod 600 " + f)
        .hasMessageNotContaining("s3cret-pw");
  }

  @Test
  void aMissingEmptyOrConflictingPasswordSourceIsRefusedClearly() throws Exception {
    assertThatThrownBy(
            () -> BackendConf.parse("postgresql://app@h/db?password_file=" + dir.resolve("no")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("does not exist");
    Path empty = secretFile("\nsecond", "rw-------");
    assertThatThrownBy(() -> BackendConf.parse("postgresql://app@h/db?password_file=" + empty))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("holds no password");
    assertThatThrownBy(() -> BackendConf.parse("postgresql://app@h/db?password_file=" + dir))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("not a regular file");
    Path f = secretFile("pw", "rw-------");
    assertThatThrownBy(() -> BackendConf.parse("postgresql://app:given@h/db?password_file=" + f))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("one way only")
        .hasMessageNotContaining("given");
    assertThatThrownBy(
            () ->
                BackendConf.parse(
                    "postgresql://app@h/db?password_file=" + f + "&password_env=PGPW"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("not both");
  }

  @Test
  void aPasswordFromTheEnvironment() {
    Map<String, String> env = Map.of("APP_DB_PASSWORD", "from-env-pw");
    BackendConf conf =
        BackendConf.of(
            Map.of("connection", "postgresql://app@h/db?password_env=APP_DB_PASSWORD"), env::get);
    assertThat(conf.getString("password")).contains("from-env-pw");
    assertThat(conf.toString()).doesNotContain("from-env-pw");
    assertThatThrownBy(
            () ->
                BackendConf.of(
                    Map.of("connection", "postgresql://app@h/db?password_env=NOPE"), env::get))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("NOPE")
        .hasMessageContaining("not set");
  }

  // ---- unknown keys ----

  @Test
  void aMisspelledKeyIsRefusedNamingTheKnownOnes() {
    String store = "dir://" + dir.resolve("s").toAbsolutePath();
    assertThatThrownBy(() -> Backends.fetch(store + "?durabilty=process"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("unknown option 'durabilty'")
        .hasMessageContaining("did you mean 'durability'?")
        .hasMessageContaining("permissions");
    assertThatThrownBy(() -> Backends.fetch(store + "?permisions=group"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("did you mean 'permissions'?");
    assertThatThrownBy(() -> Backends.fetch(Map.of("connection", store, "Durability", "process")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("unknown option 'Durability'");
    assertThatThrownBy(() -> Jobboards.open(store + "?leese=5"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("did you mean 'lease'?");
    // a secret's value is never part of the message
    assertThatThrownBy(() -> Backends.fetch(store + "?pasword=hunter22"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("unknown option 'pasword'")
        .hasMessageNotContaining("hunter22");
  }

  @Test
  void memoryKnowsNoOptionBesidesTaskFlows() {
    assertThatThrownBy(() -> Backends.fetch("memory://?durability=banana"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("unknown option 'durability'")
        .hasMessageContaining("the options of memory connections: connection, deep_copy");
    // TaskFlow's own keys stay accepted
    Backends.fetch(Map.of("connection", "memory://", "deep_copy", false)).close();
  }

  @Test
  void theKeysOfTheBoardAreAcceptedByTheBackendOfTheSameUrlAndTheOtherWayRound() throws Exception {
    String url =
        "dir://" + dir.resolve("s").toAbsolutePath() + "?lease=5&board=b1&durability=process";
    try (Backend b = Backends.open(url);
        io.taskflow4j.jobs.Jobboard board = Jobboards.open(url)) {
      assertThat(board.leaseTime()).hasSeconds(5);
      assertThat(b).isNotNull();
    }
  }

  @Test
  void taskFlowsDirOptionsStayAccepted() {
    String store = "dir://" + dir.resolve("s").toAbsolutePath();
    Backends.fetch(store + "?max_cache_size=5&encoding=utf-8&sweep_on_upgrade=false").close();
  }
}
