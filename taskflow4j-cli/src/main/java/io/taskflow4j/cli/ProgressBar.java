package io.taskflow4j.cli;

/**
 * A progress bar on standard error: redrawn in place on a terminal, plain lines (at most one per
 * 10%) otherwise.
 */
final class ProgressBar {
  private static final int WIDTH = 30;

  private final Main main;
  private final String label;
  private final int total;
  private final boolean terminal;
  private int lastDecile = -1;

  ProgressBar(Main main, String label, int total) {
    this.main = main;
    this.label = label;
    this.total = total;
    this.terminal = System.console() != null && main.err() == System.err;
  }

  void update(int done) {
    int pct = total == 0 ? 100 : (int) (100L * done / total);
    if (terminal) {
      int filled = WIDTH * pct / 100;
      String bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
      synchronized (main.err()) {
        main.err().print(String.format("\r%-6s [%s] %3d%% %d/%d", label, bar, pct, done, total));
        main.err().flush();
      }
    } else if (pct / 10 != lastDecile) {
      lastDecile = pct / 10;
      main.info(String.format("%s: %d/%d (%d%%)", label, done, total, pct));
    }
  }

  void done() {
    if (terminal) {
      update(total);
      synchronized (main.err()) {
        main.err().println();
      }
    } else if (lastDecile != 10) {
      update(total);
    }
  }
}
