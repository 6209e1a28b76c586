package io.taskflow4j.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.internal.Timestamps;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hand-written reading of a stored time ({@link Timestamps#parseLocal}) agrees with the
 * formatter's on every text it takes, and leaves every other text to it.
 */
class StoredTimeParsingTest {

  @Test
  void randomTimesOfTheStoredShapesReadAsTheFormatterReadsThem() {
    Random r = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      Instant t = Instant.ofEpochSecond(r.nextLong() % 253_402_300_799L, r.nextInt(1_000_000_000));
      if (t.isBefore(Instant.parse("0000-01-01T00:00:00Z"))) {
        t = Instant.ofEpochSecond(-t.getEpochSecond() % 253_402_300_799L, t.getNano());
      }
      String iso = t.toString(); // 2026-01-02T03:04:05.123456789Z
      String local = iso.substring(0, iso.length() - 1);
      for (String s :
          new String[] {
            local,
            local.replace('T', ' '),
            local.substring(0, 19),
            local.length() > 20
                ? local.substring(0, 20 + r.nextInt(local.length() - 20) + 1)
                : local
          }) {
        Instant fast = Timestamps.parseLocal(s, s.length());
        assertThat(fast).as(s).isNotNull().isEqualTo(TaskFlowFormat.parseIsoTime(s));
        assertThat(TaskFlowFormat.unmarshalTime(s)).isEqualTo(fast);
      }
    }
  }

  @Test
  void otherTextsAreLeftToTheFormatterWhichReadsOrRefusesThemAsBefore() {
    for (String s :
        new String[] {
          "2026-01-02T03:04:05Z",
          "2026-01-02T03:04:05+01:00",
          "2026-01-02 03:04:05.5+0100",
          "2026-01-02T03:04",
          "+12026-01-02T03:04:05",
          "2026-01-02T03:04:05.",
          "2026-01-02T03:04:05.1234567890",
        }) {
      assertThat(Timestamps.parseLocal(s, s.length())).as(s).isNull();
    }
    assertThat(TaskFlowFormat.unmarshalTime("2026-01-02T03:04:05+01:00"))
        .isEqualTo(Instant.parse("2026-01-02T02:04:05Z"));
    assertThat(TaskFlowFormat.unmarshalTime("2026-01-02T03:04"))
        .isEqualTo(Instant.parse("2026-01-02T03:04:00Z"));
    for (String bad :
        new String[] {
          "2026-02-30 03:04:05",
          "2026-13-02 03:04:05",
          "2026-01-02 24:00:00",
          "2026-01-02 03:60:05",
          "2026-01-02 03:04:60.5",
          "2026-01-0x 03:04:05",
          "2026-01-02 03:04:05.12a",
          "2026/01/02 03:04:05"
        }) {
      assertThat(Timestamps.parseLocal(bad, bad.length())).as(bad).isNull();
      assertThatThrownBy(() -> TaskFlowFormat.unmarshalTime(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid time '" + bad + "'");
    }
  }
}
