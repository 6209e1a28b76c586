package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Finding backends by scheme and opening them ({@link Backends}, spec §4.1). */
class BackendsTest {

  @Test
  void unknownSchemeListsKnownOnes() {
    assertThatThrownBy(() -> Backends.fetch("nosuch://x"))
        .isInstanceOf(BackendNotFoundException.class)
        .hasMessageContaining("'nosuch'")
        .hasMessageContaining("known backends:")
        .hasMessageContaining("memory")
        .hasMessageContaining("testok");
  }

  @Test
  void knownSchemesAreSortedAndLowerCase() {
    assertThat(new java.util.ArrayList<>(Backends.knownSchemes()))
        .contains("memory", "testok", "testfail", "testmixed")
        .doesNotContain("TestMixed")
        .isSorted();
  }

  @Test
  void aBrokenProviderEntryDoesNotHideTheOthers() {
    // the test services file also names a class that does not exist
    assertThat(Backends.fetch("testok://a")).isNotNull();
    assertThat(Backends.knownSchemes()).contains("testok");
  }

  @Test
  void aBarePathHintsTheDirScheme() {
    assertThatThrownBy(() -> Backends.fetch("/tmp/foo"))
        .isInstanceOf(BackendNotFoundException.class)
        .hasMessageContaining("dir:///tmp/foo");
    assertThatThrownBy(() -> Backends.fetch("data/flows"))
        .isInstanceOf(BackendNotFoundException.class)
        .hasMessageContaining("dir://");
  }

  @Test
  void notFoundMessageMasksThePassword() {
    assertThatThrownBy(() -> Backends.fetch("nosuch://user:hunter2@h/db"))
        .isInstanceOf(BackendNotFoundException.class)
        .hasMessageNotContaining("hunter2")
        .hasMessageContaining("nosuch://user:***@h/db");
  }

  @Test
  void fetchMakesTheBackendWithoutTouchingTheStore() {
    Backend b = Backends.fetch("testok://fetch-only");
    TestBackendProvider.TestBackend tb = TestBackendProvider.last("testok://fetch-only");
    assertThat(b).isSameAs(tb);
    assertThat(tb.upgrades).isZero();
    assertThat(b.conf().backendName()).isEqualTo("testok");
    assertThat(b.conf().getString("hostname")).contains("fetch-only");
  }

  @Test
  void fetchFromAMapAndFromAParsedConf() {
    Backend a = Backends.fetch(Map.of("connection", "testok://m", "timeout", "5"));
    assertThat(a.conf().getInt("timeout", 0, 0, 10)).isEqualTo(5);
    Backend b = Backends.fetch(BackendConf.parse("testok://p"));
    assertThat(b.conf().connection()).isEqualTo("testok://p");
  }

  @Test
  void schemesAreCaseInsensitive() {
    assertThat(Backends.fetch("testmixed://x").conf().backendName()).isEqualTo("testmixed");
    assertThat(Backends.fetch("TESTOK://x").conf().backendName()).isEqualTo("testok");
  }

  @Test
  void driverSuffixSelectsTheBackend() {
    Backend b = Backends.fetch("testok+fancy://h");
    assertThat(b.conf().backendName()).isEqualTo("testok");
    assertThat(b.conf().driver()).contains("fancy");
  }

  @Test
  void memoryIsBuiltIn() {
    try (Backend b = Backends.fetch("memory")) {
      assertThat(b.conf().backendName()).isEqualTo("memory");
    }
  }

  @Test
  void openUpgradesOnce() {
    Backend b = Backends.open("testok://open");
    TestBackendProvider.TestBackend tb = TestBackendProvider.last("testok://open");
    assertThat(b).isSameAs(tb);
    assertThat(tb.upgrades).isEqualTo(1);
    assertThat(tb.closed).isFalse();
    b.close();
    assertThat(tb.closed).isTrue();
    Backend m = Backends.open(Map.of("connection", "testok://open-map"));
    assertThat(TestBackendProvider.last("testok://open-map").upgrades).isEqualTo(1);
    m.close();
  }

  @Test
  void openClosesTheBackendWhenUpgradeFails() {
    assertThatThrownBy(() -> Backends.open("testfail://x"))
        .isInstanceOf(StorageException.class)
        .hasMessage("upgrade failed on purpose");
    TestBackendProvider.TestBackend tb = TestBackendProvider.last("testfail://x");
    assertThat(tb.upgrades).isEqualTo(1);
    assertThat(tb.closed).isTrue();
  }

  @Test
  void openWrapsARawUpgradeErrorAndCloses() {
    assertThatThrownBy(() -> Backends.open("testcrash://u:hunter2@h"))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("testcrash")
        .hasMessageContaining(
            "raw crash during upgrade of testcrash://u:***@h {user=u, password=***}")
        .hasMessageNotContaining("hunter2")
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(TestBackendProvider.last("testcrash://u:hunter2@h").closed).isTrue();
  }

  @Test
  void aProviderThatThrowsIsReportedAsATaskFlowException() {
    assertThatThrownBy(() -> Backends.fetch("testboom://x"))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("testboom")
        .hasMessageContaining("boom while creating")
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void invalidConnectionsFailBeforeLookingForAProvider() {
    assertThatThrownBy(() -> Backends.fetch("")).isInstanceOf(InvalidConfigurationException.class);
    assertThatThrownBy(() -> Backends.open((String) null))
        .isInstanceOf(InvalidConfigurationException.class);
    assertThatThrownBy(() -> Backends.fetch(Map.of("path", "/x")))
        .isInstanceOf(InvalidConfigurationException.class);
  }
}
