package io.taskflow4j.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.NotFoundException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The actions as a person uses them, in a real headless Chromium: a dashboard started with a token
 * and actions allowed, a finished flow deleted with its button on the flows page.
 */
class BrowserActionsTest {
  static final String TOKEN = "0123456789abcdef0123456789abcdef";

  @TempDir static Path dir;

  static Backend backend;
  static Dashboard dashboard;
  static Browser browser;
  static WebDriver driver;

  @BeforeAll
  static void start() throws Exception {
    browser = Browser.start();
    driver = browser.driver;
    backend = Backends.fetch("sqlite:///" + dir.resolve("demo.db"));
    backend.getConnection().upgrade();
    dashboard =
        Dashboard.builder().backend(backend).token(TOKEN).allowActions(true).port(0).start();
  }

  @AfterAll
  static void stop() throws Exception {
    Fixtures.close(dashboard, backend, browser);
  }

  @Test
  void aFinishedFlowIsDeletedWithItsButtonAfterConfirming() throws Exception {
    FlowDetail keep = Fixtures.runOrder(backend, "A-1001", 0);
    FlowDetail gone = Fixtures.runOrder(backend, "A-1002", 0);
    driver.get(dashboard.url() + "flows?token=" + TOKEN);
    browser.await(d -> d.findElements(By.cssSelector("#flows tbody tr[data-flow]")).size() == 2);
    String row = "#flows tbody tr[data-flow='" + gone.uuid() + "']";

    // dismissing the confirmation changes nothing
    browser.await(d -> d.findElement(By.cssSelector(row + " button[data-action=delete]"))).click();
    new WebDriverWait(driver, java.time.Duration.ofSeconds(5))
        .until(ExpectedConditions.alertIsPresent())
        .dismiss();
    assertThat(backend.getConnection().getFlowDetails(gone.uuid())).isNotNull();

    browser.await(d -> d.findElement(By.cssSelector(row + " button[data-action=delete]"))).click();
    var confirm =
        new WebDriverWait(driver, java.time.Duration.ofSeconds(5))
            .until(ExpectedConditions.alertIsPresent());
    assertThat(confirm.getText()).contains("Delete the finished flow", gone.uuid());
    confirm.accept();
    browser.await(d -> d.findElements(By.cssSelector(row)).isEmpty());
    assertThat(browser.await(d -> d.findElement(By.cssSelector("#notice.ok"))).getText())
        .contains("deleted");
    assertThat(driver.findElements(By.cssSelector("#flows tbody tr[data-flow]"))).hasSize(1);
    assertThat(
            driver.findElements(By.cssSelector("#flows tbody tr[data-flow='" + keep.uuid() + "']")))
        .hasSize(1);
    assertThatThrownBy(() -> backend.getConnection().getFlowDetails(gone.uuid()))
        .isInstanceOf(NotFoundException.class);
    browser.screenshot("flows-actions");

    // a fresh load of the flows page agrees
    driver.get(dashboard.url() + "flows");
    browser.await(d -> d.findElements(By.cssSelector("#flows tbody tr[data-flow]")).size() == 1);
    assertThat(driver.findElements(By.cssSelector(row))).isEmpty();
  }
}
