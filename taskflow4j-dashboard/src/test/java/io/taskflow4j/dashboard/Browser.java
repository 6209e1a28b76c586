package io.taskflow4j.dashboard;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.Function;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium driven through chromedriver, both from the system (Debian's {@code
 * chromium} and {@code chromium-driver}): nothing is downloaded, Selenium Manager never runs. On a
 * machine without them the browser tests are skipped, in CI ({@code CI=true}) they fail.
 */
final class Browser implements AutoCloseable {
  static final File CHROMIUM =
      new File(System.getProperty("dashboard.chromium", "/usr/bin/chromium"));
  static final File CHROMEDRIVER =
      new File(System.getProperty("dashboard.chromedriver", "/usr/bin/chromedriver"));
  static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

  final WebDriver driver;
  private final Path profile;

  private Browser(WebDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** Starts the browser, or skips the test (fails it in CI) when it is not installed. */
  static Browser start() throws IOException {
    String missing =
        !CHROMIUM.canExecute()
            ? CHROMIUM.toString()
            : !CHROMEDRIVER.canExecute() ? CHROMEDRIVER.toString() : null;
    if (missing != null) {
      String message =
          "The dashboard's browser tests need Chromium and its driver: "
              + missing
              + " is missing (Debian: apt-get install chromium chromium-driver)";
      if (CI) {
        Assertions.fail(message + "; CI=true, so this is a failure");
      }
      Assumptions.abort(message + "; skipped");
    }
    Path profile = Files.createTempDirectory("tf4j-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--user-data-dir=" + profile,
        "--window-size=1400,1000");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER)
            .usingAnyFreePort()
            .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().window().setSize(new Dimension(1400, 1000));
    return new Browser(driver, profile);
  }

  <T> T await(Function<WebDriver, T> condition) {
    // a page that renders again while the condition reads it leaves stale elements: look again
    return new WebDriverWait(driver, Duration.ofSeconds(10), Duration.ofMillis(50))
        .ignoring(StaleElementReferenceException.class)
        .until(condition);
  }

  /**
   * With -Ddashboard.screenshots=DIR, writes the page as DIR/name.png (a normal run writes none).
   */
  void screenshot(String name) throws IOException {
    String dir = System.getProperty("dashboard.screenshots", "");
    if (dir.isBlank()) {
      return;
    }
    Path target = Path.of(dir);
    if (!target.isAbsolute()) {
      target = Path.of(System.getProperty("dashboard.repoRoot", ".")).resolve(dir);
    }
    Files.createDirectories(target);
    File png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
    Files.copy(png.toPath(), target.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      try (var files = Files.walk(profile)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
