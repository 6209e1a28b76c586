package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.InvalidConfigurationException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading the configuration: hosts, path, timeouts, retries, credentials, limits. */
class ZkSettingsTest {

  private static ZkSettings parse(String url) {
    return ZkSettings.from(BackendConf.parse(url));
  }

  @Test
  void theHostsOfTheConnectionStringAreUsedUnlikeTaskFlow() {
    ZkSettings s = parse("zookeeper://zk1:2181,zk2:2182,zk3/apps/flows");
    assertThat(s.hosts()).containsExactly("zk1:2181", "zk2:2182", "zk3:2181");
    assertThat(s.connectString()).isEqualTo("zk1:2181,zk2:2182,zk3:2181");
    assertThat(s.path()).isEqualTo("/apps/flows");
  }

  @Test
  void defaultsAreTaskFlows() {
    ZkSettings s = ZkSettings.from(BackendConf.parse("zookeeper://"));
    assertThat(s.hosts()).containsExactly("localhost:2181");
    assertThat(s.path()).isEqualTo("/taskflow");
    assertThat(parse("zookeeper://h:2181/?timeout=5").path()).isEqualTo("/taskflow");
    assertThat(s.sessionTimeoutMs()).isEqualTo(10_000);
    assertThat(s.connectionTimeoutMs()).isEqualTo(5_000);
    assertThat(s.retryBudgetMs()).isEqualTo(30_000);
    assertThat(s.maxValueBytes()).isEqualTo(0xfffff);
    assertThat(s.checkCompatible()).isTrue();
    assertThat(s.secured()).isFalse();
  }

  @Test
  void explicitKeysWinAndTaskFlowsKeysAreRead() {
    ZkSettings s =
        ZkSettings.from(
            BackendConf.of(
                Map.of(
                    "connection", "zookeeper://ignored:1/x",
                    "hosts", List.of("a:1", "b"),
                    "path", "/explicit",
                    "timeout", "2.5",
                    "connection_timeout_ms", "750",
                    "retry_budget_ms", 1234,
                    "max_value_bytes", "4194304")));
    assertThat(s.hosts()).containsExactly("a:1", "b:2181");
    assertThat(s.path()).isEqualTo("/explicit");
    assertThat(s.sessionTimeoutMs()).isEqualTo(2_500);
    assertThat(s.connectionTimeoutMs()).isEqualTo(750);
    assertThat(s.retryBudgetMs()).isEqualTo(1234);
    assertThat(s.maxValueBytes()).isEqualTo(4 * 1024 * 1024);
    assertThat(
            ZkSettings.from(BackendConf.of(Map.of("connection", "zookeeper", "hosts", "x:9,y:8")))
                .hosts())
        .containsExactly("x:9", "y:8");
  }

  @Test
  void credentialsComeFromTheConnectionStringAndAreNeverShown() {
    ZkSettings s = parse("zookeeper://bob:p%40ss@h:2181/p");
    assertThat(s.username()).isEqualTo("bob");
    assertThat(s.password()).isEqualTo("p@ss");
    assertThat(s.secured()).isTrue();
    assertThat(s.toString()).doesNotContain("p@ss").contains("bob:***@");
    assertThat(s.describe()).doesNotContain("p@ss");
    assertThat(Backends.fetch("zookeeper://bob:p%40ss@h:2181/p").toString())
        .doesNotContain("p@ss")
        .doesNotContain("p%40ss");
  }

  @Test
  void badValuesAreTypedErrorsSayingWhatToDo() {
    assertThatThrownBy(() -> parse("zookeeper://h/?path=relative"))
        .isInstanceOf(InvalidConfigurationException.class);
    assertThatThrownBy(
            () ->
                ZkSettings.from(
                    BackendConf.of(Map.of("connection", "zookeeper://h", "path", "relative"))))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("absolute");
    assertThatThrownBy(() -> parse("zookeeper://h/a//b"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("not a valid znode path");
    assertThatThrownBy(() -> parse("zookeeper://h/zookeeper"))
        .isInstanceOf(InvalidConfigurationException.class);
    assertThatThrownBy(() -> parse("zookeeper://h/p?session_timeout_ms=soon"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("session_timeout_ms");
    assertThatThrownBy(() -> parse("zookeeper://h/p?retry_base_sleep_ms=500&retry_max_sleep_ms=10"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("retry_max_sleep_ms");
    assertThatThrownBy(() -> parse("zookeeper://h/p?max_value_bytes=10"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("max_value_bytes");
    assertThatThrownBy(
            () ->
                ZkSettings.from(
                    BackendConf.of(
                        Map.of("connection", "zookeeper://h/p", "password", "only-a-secret"))))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("without a user name")
        .hasMessageNotContaining("only-a-secret");
    assertThatThrownBy(
            () ->
                ZkSettings.from(
                    BackendConf.of(Map.of("connection", "zookeeper://", "hosts", "h:99999"))))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("1..65535");
  }

  @Test
  void theBackendIsFoundByItsScheme() {
    assertThat(Backends.knownSchemes()).contains("zookeeper");
    assertThat(Backends.fetch("zookeeper://h:2181/p")).isInstanceOf(ZkBackend.class);
  }
}
