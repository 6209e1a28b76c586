package io.taskflow4j.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Failure;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * A store as TaskFlow leaves it: its atom details carry no start or end times. The flow page still
 * lists every atom, in flow order, and shows a failure a click away.
 */
class BrowserUntimedStoreTest {
  @TempDir static Path dir;

  static Backend backend;
  static Dashboard dashboard;
  static Browser browser;
  static FlowDetail flow;

  @BeforeAll
  static void start() throws Exception {
    browser = Browser.start();
    backend = Backends.fetch("sqlite:///" + dir.resolve("taskflow.db"));
    try (Connection c = backend.getConnection()) {
      c.upgrade();
      FlowDetail fd =
          FlowDetail.create("tf-flow")
              .withState(FlowState.FAILURE)
              .withAtom(TaskDetail.create("prepare").put(AtomState.SUCCESS, "fine"))
              .withAtom(
                  TaskDetail.create("charge")
                      .put(AtomState.FAILURE, Failure.of(new IllegalStateException("disk full"))));
      flow = c.saveLogBook(LogBook.create("book").withFlow(fd)).flows().get(0);
    }
    dashboard = Dashboard.builder().backend(backend).port(0).start();
  }

  @AfterAll
  static void stop() throws Exception {
    Fixtures.close(dashboard, backend, browser);
  }

  @Test
  void atomsWithoutTimesAreListedInFlowOrderAndTheirFailureIsShown() {
    browser.driver.get(dashboard.url() + "flow?uuid=" + flow.uuid());
    browser.await(d -> d.findElements(By.cssSelector("#timeline .row")).size() == 2);
    List<String> atoms =
        browser.driver.findElements(By.cssSelector("#timeline .row")).stream()
            .map(r -> r.getAttribute("data-atom"))
            .toList();
    assertThat(atoms).containsExactly("prepare", "charge");
    assertThat(browser.driver.findElements(By.cssSelector("#timeline .seg"))).isEmpty();
    assertThat(browser.await(d -> d.findElement(By.id("untimed"))).getText())
        .contains("No start or end times");

    browser.driver.findElement(By.cssSelector("#timeline .row[data-atom=charge]")).click();
    WebElement detail =
        browser.await(
            d -> {
              WebElement e = d.findElement(By.id("atom-detail"));
              return e.getText().contains("disk full") ? e : null;
            });
    assertThat(detail.getText()).contains("java.lang.IllegalStateException", "FAILURE");
  }
}
