package io.taskflow4j.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TimestampsTest {

  @Test
  void formatsExactlyAsInstantToString() {
    Instant[] fixed = {
      Instant.EPOCH,
      Instant.parse("1969-12-31T23:59:59.999999999Z"),
      Instant.parse("2026-11-28T21:20:50Z"),
      Instant.parse("2026-11-28T21:20:50.100Z"),
      Instant.parse("2026-11-28T21:20:50.000100Z"),
      Instant.parse("2026-11-28T21:20:50.000000001Z"),
      Instant.parse("2000-02-29T00:00:00.010Z"),
      Instant.parse("0000-01-01T00:00:00Z"),
      Instant.parse("9999-12-31T23:59:59.999Z"),
      Instant.parse("+10000-01-01T00:00:00Z"),
      Instant.parse("-0001-06-01T12:00:00Z"),
    };
    for (Instant i : fixed) {
      assertThat(Timestamps.iso(i)).as("%s", i).isEqualTo(i.toString());
    }
    SplittableRandom rnd = new SplittableRandom(42);
    for (int n = 0; n < 100_000; n++) {
      long sec = rnd.nextLong(-62_167_219_200L, 253_402_300_800L); // years 0..9999
      int nano =
          switch (n % 4) {
            case 0 -> 0;
            case 1 -> rnd.nextInt(1000) * 1_000_000;
            case 2 -> rnd.nextInt(1_000_000) * 1_000;
            default -> rnd.nextInt(1_000_000_000);
          };
      Instant i = Instant.ofEpochSecond(sec, nano);
      assertThat(Timestamps.iso(i)).isEqualTo(i.toString());
    }
  }
}
