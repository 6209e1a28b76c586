package io.taskflow4j.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.conductor.Conductor;
import io.taskflow4j.conductor.FlowFactories;
import io.taskflow4j.conductor.FlowJob;
import io.taskflow4j.conductor.FlowJobs;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The dashboard as a person uses it, in a real headless Chromium: the overview of the demo's store,
 * filtering flows, the demo flow's timeline and its failure, a flow whose names are HTML, a running
 * flow followed live, and the jobs page while a conductor runs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserTest {
  @TempDir static Path dir;

  static Backend backend;
  static Jobboard board;
  static Dashboard dashboard;
  static Browser browser;
  static WebDriver driver;
  static FlowDetail order;
  static FlowDetail hostile;

  @BeforeAll
  static void start() throws Exception {
    browser = Browser.start();
    driver = browser.driver;
    backend = Backends.fetch("sqlite:///" + dir.resolve("demo.db"));
    backend.getConnection().upgrade();
    order = Fixtures.runOrder(backend, "A-1001", 20);
    hostile = Fixtures.runHostile(backend);
    board = Jobboards.open(Map.of("connection", "memory", "lease", "2"));
    dashboard =
        Dashboard.builder()
            .backend(backend)
            .jobboard(board)
            .storeLabel("sqlite:///taskflow4j-demo.db")
            .port(0)
            .start();
  }

  @AfterAll
  static void stop() throws Exception {
    Fixtures.close(dashboard, board, backend, browser);
  }

  static void open(String path) {
    driver.get(dashboard.url() + path.substring(1));
  }

  static WebElement find(String css) {
    return browser.await(d -> d.findElement(By.cssSelector(css)));
  }

  static void assertNoAlert() {
    try {
      driver.switchTo().alert();
      throw new AssertionError("a script of the store ran: an alert is open");
    } catch (NoAlertPresentException expected) {
      // nothing ran
    }
  }

  @Test
  @Order(1)
  void theOverviewShowsFlowsByStateAndTheFailingTasks() throws Exception {
    open("/");
    WebElement success = find("#states .card[data-state=SUCCESS] .num");
    assertThat(success.getText()).isEqualTo("1");
    assertThat(find("#states .card[data-state=ALL] .num").getText()).isEqualTo("2");
    assertThat(find("#failing").getText()).contains("charge-card", "fails-with-html");
    assertThat(driver.findElements(By.cssSelector("#hours .hour"))).hasSize(24);
    assertThat(find("#store").getText()).isEqualTo("sqlite:///taskflow4j-demo.db");
    browser.screenshot("overview");
  }

  @Test
  @Order(2)
  void flowsAreFilteredByStateAndNameAndOpenTheirTimeline() throws Exception {
    open("/flows");
    browser.await(d -> d.findElements(By.cssSelector("#flows tbody tr[data-flow]")).size() == 2);
    new Select(find("#f-state")).selectByValue("SUCCESS");
    find("#f-apply").click();
    browser.await(d -> d.findElements(By.cssSelector("#flows tbody tr[data-flow]")).size() == 1);
    assertThat(driver.getCurrentUrl()).endsWith("/flows?state=SUCCESS&limit=50");
    assertThat(find("#flows tbody tr[data-flow]").getText()).contains("order-processing");
    browser.screenshot("flows");

    new Select(find("#f-state")).selectByValue("");
    find("#f-name").sendKeys("nothing-like-this");
    find("#f-apply").click();
    browser.await(d -> d.findElements(By.cssSelector("#flows tbody tr[data-flow]")).isEmpty());
    assertThat(find("#flows tbody").getText()).contains("No flow matches.");

    find("#f-name").clear();
    find("#f-since").sendKeys("yesterday");
    find("#f-apply").click();
    WebElement error = browser.await(d -> d.findElement(By.cssSelector("#error:not([hidden])")));
    assertThat(error.getText()).contains("since must be an ISO-8601 time");

    open("/flows?name=order");
    find("#flows a[href^='/flow?uuid=']").click();
    browser.await(d -> d.getCurrentUrl().contains("/flow?uuid=" + order.uuid()));
  }

  @Test
  @Order(3)
  void theDemoFlowsTimelineShowsChargeCardFailedOnceThenSucceeded() throws Exception {
    open("/flow?uuid=" + order.uuid());
    browser.await(d -> d.findElements(By.cssSelector("#timeline .row")).size() == 6);
    List<String> tasks =
        driver.findElements(By.cssSelector("#timeline .row")).stream()
            .filter(r -> !r.getText().startsWith("↻"))
            .map(r -> r.getAttribute("data-atom"))
            .toList();
    assertThat(tasks)
        .containsExactlyInAnyOrder(
            "fetch-order", "reserve-stock", "charge-card", "ship", "notify-customer");
    WebElement charge = find("#timeline .row[data-atom=charge-card]");
    List<String> segs =
        charge.findElements(By.cssSelector(".seg")).stream()
            .map(s -> s.getAttribute("data-seg-state"))
            .toList();
    assertThat(segs).containsExactly("FAILURE", "SUCCESS");
    for (WebElement row : driver.findElements(By.cssSelector("#timeline .row"))) {
      if (!row.getAttribute("data-atom").equals("charge-card")) {
        assertThat(row.getAttribute("data-state")).isEqualTo("SUCCESS");
        assertThat(row.findElements(By.cssSelector(".seg"))).hasSize(1);
      }
    }
    // reserve-stock and the payment ran side by side: their bars overlap in time
    double reserveLeft = left("#timeline .row[data-atom=reserve-stock] .seg");
    double chargeLeft = left("#timeline .row[data-atom=charge-card] .seg");
    double shipLeft = left("#timeline .row[data-atom=ship] .seg");
    assertThat(Math.abs(reserveLeft - chargeLeft)).isLessThan(shipLeft - reserveLeft);

    charge.click();
    WebElement attempts = find("#earlier-attempts");
    assertThat(attempts.getText())
        .contains("Attempt 1", "java.lang.IllegalStateException", "payment gateway");
    WebElement summary = attempts.findElement(By.cssSelector("details.traceback summary"));
    WebElement trace = attempts.findElement(By.cssSelector("details.traceback pre"));
    assertThat(trace.isDisplayed()).isFalse();
    summary.click();
    browser.await(d -> trace.isDisplayed());
    assertThat(trace.getText()).contains("ChargeCard.execute");
    assertThat(find("#atom-detail").getText()).contains("PAY-2");
    assertThat(find("#atom-detail a.raw").getAttribute("href"))
        .endsWith(
            "/api/flows/"
                + order.uuid()
                + "/atoms/"
                + order.findByName("charge-card").orElseThrow().uuid());
    browser.screenshot("flow");

    find("#timeline .row[data-atom=charge-retry]").click();
    assertThat(find("#retry-history").getText())
        .contains("charge-card: java.lang.IllegalStateException");
  }

  private static double left(String css) {
    Object v =
        ((JavascriptExecutor) driver)
            .executeScript(
                "return document.querySelector(arguments[0]).getBoundingClientRect().left;", css);
    return ((Number) v).doubleValue();
  }

  @Test
  @Order(4)
  void namesResultsAndTracebacksHoldingHtmlAreShownAsText() {
    open("/flow?uuid=" + hostile.uuid());
    assertThat(find("#flow-name").getText()).isEqualTo(Fixtures.XSS_NAME);
    find("#timeline .row[data-atom='" + Fixtures.XSS_NAME + "']").click();
    assertThat(find("#atom-detail .atom-name").getText()).isEqualTo(Fixtures.XSS_NAME);
    assertThat(find("#atom-detail pre.result").getText()).contains(Fixtures.XSS_RESULT);
    find("#timeline .row[data-atom=fails-with-html]").click();
    WebElement failure = find("#atom-failure");
    assertThat(failure.findElement(By.cssSelector(".exc-message")).getText())
        .isEqualTo(Fixtures.XSS_MESSAGE);
    failure.findElement(By.cssSelector("details.traceback summary")).click();
    assertThat(failure.findElement(By.cssSelector("details.traceback pre")).getText())
        .startsWith(Fixtures.XSS_TRACE);
    assertOnlyOurElements();

    open("/flows");
    browser.await(d -> d.findElements(By.cssSelector("#flows tbody tr[data-flow]")).size() == 2);
    assertThat(find("#flows").getText()).contains(Fixtures.XSS_NAME);
    assertOnlyOurElements();
    open("/");
    find("#failing");
    assertOnlyOurElements();
  }

  private static void assertOnlyOurElements() {
    assertNoAlert();
    assertThat(driver.findElements(By.tagName("img"))).isEmpty();
    List<String> scripts =
        driver.findElements(By.tagName("script")).stream().map(s -> s.getAttribute("src")).toList();
    assertThat(scripts).hasSize(2).allMatch(s -> s.contains("/static/"));
  }

  /** A chain of slow tasks, rebuilt by the conductor from the flow detail. */
  public static final class SlowChain implements FlowFactory {
    @Override
    public Flow create(List<Object> args, Map<String, Object> kwargs) {
      int n = ((Number) args.get(0)).intValue();
      long delay = ((Number) args.get(1)).longValue();
      return Fixtures.slowChain("slow-chain", n, delay);
    }
  }

  @Test
  @Order(5)
  void aRunningFlowsProgressIsFollowedLive() throws Exception {
    LogBook book = LogBook.create("live");
    Engine engine =
        Engines.load(Fixtures.slowChain("slow-chain", 6, 450))
            .backend(backend)
            .logBook(book)
            .serial()
            .build();
    engine.prepare();
    String uuid = engine.flowDetail().uuid();
    CompletableFuture<Void> run =
        CompletableFuture.runAsync(
            () -> {
              try (engine) {
                engine.run();
              }
            });
    try {
      open("/flow?uuid=" + uuid);
      browser.await(
          d -> d.findElements(By.cssSelector("#timeline .row[data-state=RUNNING]")).size() == 1);
      int doneAtFirst = succeeded();
      assertThat(doneAtFirst).isLessThan(6);
      browser.screenshot("flow-running");
      browser.await(d -> succeeded() > doneAtFirst);
      browser.await(
          d -> d.findElement(By.cssSelector("#flow-head .state")).getText().equals("SUCCESS"));
      assertThat(succeeded()).isEqualTo(6);
      assertThat(Integer.parseInt(find("#live").getAttribute("data-updates"))).isGreaterThan(1);
      assertThat(find("#live").getText()).isEqualTo("finished");
    } finally {
      run.get();
    }
  }

  private static int succeeded() {
    return driver.findElements(By.cssSelector("#timeline .row[data-state=SUCCESS]")).size();
  }

  @Test
  @Order(6)
  void theJobsPageShowsClaimsAndTheConductorWhileItRuns() throws Exception {
    FlowFactory factory = new SlowChain();
    for (int i = 1; i <= 3; i++) {
      FlowJobs.post(
          board, backend.getConnection(), FlowJob.of(factory, 3, 300).named("chain-" + i));
    }
    Conductor conductor =
        Conductor.builder(board, backend)
            .name("conductor-a")
            .factories(FlowFactories.of(factory))
            .maxConcurrentJobs(1)
            .build();
    conductor.start();
    try {
      open("/jobs");
      WebElement claimed =
          browser.await(d -> d.findElement(By.cssSelector("#jobs tr[data-state=CLAIMED]")));
      assertThat(claimed.findElement(By.cssSelector(".owner")).getText()).contains("conductor-a");
      assertThat(claimed.getText()).contains("chain-");
      assertThat(find("#conductors").getText()).contains("conductor-a");
      // the claim's lease expiry, relative: "in 2 s" (or "expired 0 s ago" between renewals)
      WebElement lease = claimed.findElement(By.cssSelector(".lease .rel"));
      assertThat(lease.getText()).matches("in \\d+ s|expired \\d+ s ago");
      assertThat(lease.getAttribute("data-at")).isNotBlank();
      List<WebElement> waiting =
          driver.findElements(By.cssSelector("#jobs tr[data-state=UNCLAIMED]"));
      assertThat(waiting).isNotEmpty();
      assertThat(waiting.get(0).findElement(By.cssSelector(".lease")).getText()).isEqualTo("—");
      browser.screenshot("jobs");
      // the board empties as the conductor completes the jobs, and the page follows it
      browser.await(d -> d.findElements(By.cssSelector("#jobs tr[data-job]")).size() < 3);
    } finally {
      conductor.stop(Duration.ofSeconds(5));
      conductor.close();
    }
  }
}
