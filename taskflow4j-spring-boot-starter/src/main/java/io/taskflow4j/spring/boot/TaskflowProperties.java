package io.taskflow4j.spring.boot;

import io.taskflow4j.retention.Retention;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** The {@code taskflow4j.*} properties: where flows are recorded, the board, the conductor. */
@ConfigurationProperties(prefix = "taskflow4j")
public class TaskflowProperties {

  /** The connection value that means "the application's DataSource". */
  public static final String DATASOURCE = "datasource";

  /** Whether taskflow4j's auto-configuration is active. */
  private boolean enabled = true;

  /**
   * Where logbooks are recorded: any connection string with its options, e.g. "sqlite:///flows.db",
   * "postgresql://app@db:5432/flows", "dir:///var/lib/app/flows", "memory://"; or "datasource"
   * (also "jdbc:datasource") for the application's DataSource bean.
   */
  private String connection;

  /**
   * Where the jobboard lives, when not in the logbook store: a connection string, or "datasource".
   * Defaults to the connection.
   */
  private String board;

  /** Whether to create or migrate the store's schema at startup (the backend's upgrade()). */
  private boolean initializeSchema = true;

  /**
   * More options for the backend and the board, as in a connection string's query (e.g.
   * durability=process, max_pool_size=4); the only way to give options to a "datasource" store.
   */
  private Map<String, String> options = new LinkedHashMap<>();

  private final Conductor conductor = new Conductor();

  private final RetentionSettings retention = new RetentionSettings();

  private final Metrics metrics = new Metrics();

  private final Dashboard dashboard = new Dashboard();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getConnection() {
    return connection;
  }

  public void setConnection(String connection) {
    this.connection = connection;
  }

  public String getBoard() {
    return board;
  }

  public void setBoard(String board) {
    this.board = board;
  }

  public boolean isInitializeSchema() {
    return initializeSchema;
  }

  public void setInitializeSchema(boolean initializeSchema) {
    this.initializeSchema = initializeSchema;
  }

  public Map<String, String> getOptions() {
    return options;
  }

  public void setOptions(Map<String, String> options) {
    this.options = options;
  }

  public Conductor getConductor() {
    return conductor;
  }

  public RetentionSettings getRetention() {
    return retention;
  }

  public Metrics getMetrics() {
    return metrics;
  }

  public Dashboard getDashboard() {
    return dashboard;
  }

  /** Whether {@code connection} names the application's DataSource rather than a store. */
  public static boolean isDataSource(String connection) {
    return connection != null
        && (connection.strip().equalsIgnoreCase(DATASOURCE)
            || connection.strip().equalsIgnoreCase("jdbc:" + DATASOURCE));
  }

  /** The conductor that claims jobs from the board and runs their flows. */
  public static class Conductor {
    /** Whether to run a conductor in this application. */
    private boolean enabled = true;

    /** The conductor's name; its owner id on the board adds host, process and incarnation. */
    private String name = "conductor";

    /** How many jobs the conductor runs at once. */
    private int maxConcurrentJobs = 1;

    /** How long a claim lasts without renewal (default 10s); a dead conductor's jobs wait this. */
    private Duration lease;

    /** After how many failed starts a job goes to the board's trash. */
    private int maxFailures = 3;

    /**
     * How long stopping the application waits for running flows to suspend and their jobs to be
     * released.
     */
    private Duration shutdownGrace = Duration.ofSeconds(30);

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public int getMaxConcurrentJobs() {
      return maxConcurrentJobs;
    }

    public void setMaxConcurrentJobs(int maxConcurrentJobs) {
      this.maxConcurrentJobs = maxConcurrentJobs;
    }

    public Duration getLease() {
      return lease;
    }

    public void setLease(Duration lease) {
      this.lease = lease;
    }

    public int getMaxFailures() {
      return maxFailures;
    }

    public void setMaxFailures(int maxFailures) {
      this.maxFailures = maxFailures;
    }

    public Duration getShutdownGrace() {
      return shutdownGrace;
    }

    public void setShutdownGrace(Duration shutdownGrace) {
      this.shutdownGrace = shutdownGrace;
    }
  }

  /** What is kept of finished runs. */
  public static class RetentionSettings {
    /**
     * Prune finished flows last updated longer ago than this (e.g. 7d), periodically, from the
     * conductor; flows a job on the board refers to are kept. Unset: keep everything.
     */
    private Duration maxAge;

    /** How often to prune (default a quarter of max-age, between a minute and an hour). */
    private Duration pruneEvery;

    /**
     * What the conductor's engines do with a run's record when it ends: KEEP, DISCARD_ON_SUCCESS or
     * KEEP_FAILED.
     */
    private Retention policy = Retention.KEEP;

    public Duration getMaxAge() {
      return maxAge;
    }

    public void setMaxAge(Duration maxAge) {
      this.maxAge = maxAge;
    }

    public Duration getPruneEvery() {
      return pruneEvery;
    }

    public void setPruneEvery(Duration pruneEvery) {
      this.pruneEvery = pruneEvery;
    }

    public Retention getPolicy() {
      return policy;
    }

    public void setPolicy(Retention policy) {
      this.policy = policy;
    }
  }

  /** Meters and traces, when taskflow4j-micrometer and a MeterRegistry are present. */
  public static class Metrics {
    /**
     * Whether to publish taskflow4j's meters (store writes, jobboard, conductor, flows and atoms)
     * and, with an ObservationRegistry, its observations, to the application's MeterRegistry.
     */
    private boolean enabled = true;

    /**
     * Whether atom executions and reverts are timed by full timers, which also publish a maximum
     * and the percentiles and histograms that management.metrics.distribution asks for; by default
     * they are function timers (count and total time), which cost the engine about half as much per
     * atom.
     */
    private boolean atomHistograms = false;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public boolean isAtomHistograms() {
      return atomHistograms;
    }

    public void setAtomHistograms(boolean atomHistograms) {
      this.atomHistograms = atomHistograms;
    }
  }

  /** The web dashboard, when taskflow4j-dashboard is on the class path. */
  public static class Dashboard {
    /** The default port: beside the application's own 8080. */
    public static final int DEFAULT_PORT = 8081;

    /**
     * Whether to serve the web dashboard (flows, timelines, jobs) of the application's store and
     * board, for as long as the application runs; needs taskflow4j-dashboard on the class path.
     */
    private boolean enabled = false;

    /** The dashboard's port (0: any free one); apart from the application's own server. */
    private int port = DEFAULT_PORT;

    /** The address the dashboard listens on; any but a loopback one needs a token-file. */
    private String bind = "127.0.0.1";

    /**
     * A file whose first line is the token every request to the dashboard must carry (at least 16
     * characters; needed on any address but loopback, and for actions).
     */
    private String tokenFile;

    /**
     * Whether the dashboard offers actions that change the store and the board: resume a flow (by
     * posting a job for it), trash a job, delete a finished flow. Needs a token-file.
     */
    private boolean allowActions = false;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public int getPort() {
      return port;
    }

    public void setPort(int port) {
      this.port = port;
    }

    public String getBind() {
      return bind;
    }

    public void setBind(String bind) {
      this.bind = bind;
    }

    public String getTokenFile() {
      return tokenFile;
    }

    public void setTokenFile(String tokenFile) {
      this.tokenFile = tokenFile;
    }

    public boolean isAllowActions() {
      return allowActions;
    }

    public void setAllowActions(boolean allowActions) {
      this.allowActions = allowActions;
    }
  }
}
