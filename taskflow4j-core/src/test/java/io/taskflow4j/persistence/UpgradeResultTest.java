package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.memory.MemoryBackend;
import io.taskflow4j.persistence.spi.ForwardingConnection;
import org.junit.jupiter.api.Test;

/** What an upgrade reports, and what a backend that does not report it returns. */
class UpgradeResultTest {

  @Test
  void eachChangeSaysWhatWasDone() {
    assertThat(UpgradeResult.created("3").describe()).isEqualTo("created the schema at version 3");
    assertThat(UpgradeResult.upgraded("2", "3").describe())
        .isEqualTo("upgraded the schema from version 2 to 3");
    assertThat(UpgradeResult.adopted("a TaskFlow store (alembic revision x)", "3").describe())
        .isEqualTo(
            "adopted a TaskFlow store (alembic revision x) at schema version 3, keeping every"
                + " record");
    assertThat(UpgradeResult.upToDate("3").describe())
        .isEqualTo("already up to date (schema version 3), nothing changed");
    assertThat(UpgradeResult.upToDate("3").changed()).isFalse();
    assertThat(UpgradeResult.created("3").changed()).isTrue();
  }

  @Test
  void versionsMustFitTheChange() {
    assertThatThrownBy(() -> new UpgradeResult(UpgradeResult.Change.UPGRADED, null, "3"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("started from");
    assertThatThrownBy(() -> new UpgradeResult(UpgradeResult.Change.CREATED, "1", "3"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new UpgradeResult(UpgradeResult.Change.UP_TO_DATE, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("version reached");
    assertThatThrownBy(() -> new UpgradeResult(null, null, null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void aBackendThatDoesNotReportItsUpgradeSaysSoAndAForwardingConnectionPassesItOn() {
    try (Backend b = new MemoryBackend(BackendConf.parse("memory://"));
        Connection c = b.getConnection()) {
      assertThat(c.upgradeWithResult()).isEqualTo(UpgradeResult.unreported());
      Connection reporting =
          new ForwardingConnection(c) {
            @Override
            public UpgradeResult upgradeWithResult() {
              return UpgradeResult.created("7");
            }
          };
      Connection forwarding = new ForwardingConnection(reporting) {};
      assertThat(forwarding.upgradeWithResult()).isEqualTo(UpgradeResult.created("7"));
    }
  }
}
