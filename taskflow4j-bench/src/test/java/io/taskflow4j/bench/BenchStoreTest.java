package io.taskflow4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The placeholders of benchmark store templates. */
class BenchStoreTest {

  @Test
  void zkPlaceholderStartsAZooKeeperServerForTheTrialAndStopsItOnClose() {
    String uri;
    Path tmp;
    try (BenchStore store = BenchStore.create("zookeeper://{zk}/{db}")) {
      uri = store.uri();
      tmp = store.directory();
      assertThat(uri).startsWith("zookeeper://").doesNotContain("{zk}").contains("/tf4j_bench_");
      try (Backend b = Backends.open(uri);
          Connection c = b.getConnection()) {
        LogBook saved = c.saveLogBook(LogBook.create("bench").withMeta(Map.of("k", 1)));
        assertThat(c.getLogBook(saved.uuid()).meta()).isEqualTo(Map.of("k", 1));
      }
    }
    assertThat(Files.exists(tmp)).isFalse();
    assertThatThrownBy(
            () -> {
              try (Backend b =
                  Backends.open(uri + "?connection_timeout_ms=1000&retry_budget_ms=1500")) {
                b.getConnection().validate();
              }
            })
        .isInstanceOf(StorageException.class);
  }

  @Test
  void tmpPlaceholderIsAFreshDirectoryRemovedOnClose() {
    Path tmp;
    try (BenchStore store = BenchStore.create("dir://{tmp}?durability=process")) {
      tmp = store.directory();
      assertThat(store.uri()).isEqualTo("dir://" + tmp.toAbsolutePath() + "?durability=process");
      assertThat(Files.isDirectory(tmp)).isTrue();
    }
    assertThat(Files.exists(tmp)).isFalse();
  }

  @Test
  void afterDeferDeletesAClosedStoreWaitsInTheTrashUntilTheCallerDeletesIt() throws Exception {
    Path trash = Files.createTempDirectory("bench-trash").resolve("discarded");
    Path tmp;
    BenchStore.deferDeletes(trash);
    try {
      try (BenchStore store = BenchStore.create("dir://{tmp}?durability=process")) {
        tmp = store.directory();
        Files.writeString(tmp.resolve("a-record"), "kept until the end");
      }
      assertThat(Files.exists(tmp)).isFalse();
      try (var kept = Files.list(trash)) {
        Path moved = kept.findFirst().orElseThrow();
        assertThat(moved.getFileName().toString()).startsWith(tmp.getFileName().toString());
        assertThat(moved.resolve("a-record")).hasContent("kept until the end");
      }
    } finally {
      BenchStore.deferDeletes(null);
    }
    try (BenchStore store = BenchStore.create("dir://{tmp}?durability=process")) {
      tmp = store.directory();
    }
    assertThat(Files.exists(tmp)).as("deleted at once again").isFalse();
    try (var kept = Files.list(trash)) {
      assertThat(kept.count()).isEqualTo(1);
    }
    BenchStore.deleteTree(trash.getParent());
    assertThat(Files.exists(trash)).isFalse();
  }
}
