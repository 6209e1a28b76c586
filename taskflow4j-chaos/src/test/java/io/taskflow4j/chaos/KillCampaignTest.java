package io.taskflow4j.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.jdbc.FreshDatabases;
import io.taskflow4j.persistence.jdbc.MariaDbDatabase;
import io.taskflow4j.persistence.jdbc.PostgresDatabase;
import io.taskflow4j.persistence.zookeeper.EmbeddedZooKeeper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounded kill campaign CI runs: at least {@code chaos.kills} (default 20) SIGKILLs per backend
 * (directory with {@code durability=process} and {@code power}, SQLite, PostgreSQL, MariaDB,
 * ZooKeeper) of a child running a {@code chaos.tasks}-task chain, resumed each time until it ends,
 * then audited (see {@link KillCampaign}). A long campaign is the same test with more kills: {@code
 * mvn -pl taskflow4j-chaos -am verify -Dchaos.kills=250}; {@code -Dchaos.seed=S} replays one;
 * {@code -Dchaos.backends=zookeeper} picks backends (labels as above, comma separated); {@code
 * -Dchaos.targets=label=connection,...} adds backends (such as a ZooKeeper ensemble) by connection
 * string. ZooKeeper is a real server started in this JVM (Curator's {@link TestingServer}) that the
 * children reach over loopback, under a fresh root znode. {@code -Dchaos.chains=4} (or {@code
 * -Dchaos.chains=on}) runs that campaign in the concurrent-chains mode: each child runs 4 chains of
 * {@code chaos.tasks} tasks at once, one engine per chain on one shared backend.
 *
 * <p>A second, smaller campaign always runs in the concurrent-chains mode on SQLite and PostgreSQL
 * (10 kills each, 4 chains of 100 tasks), so that kills inside the SQL backend's group commits are
 * exercised on every CI run; {@code -Dchaos.concurrent.backends=...} changes its backends (any of
 * {@code dir-process, dir-power, sqlite, postgresql, mariadb}; {@code none}: none), {@code
 * -Dchaos.concurrent.kills=K} its kills.
 */
class KillCampaignTest {
  @TempDir Path dir;

  @Test
  void everyBackendSurvivesSigkillsAtRandomPointsWithoutLosingRecordedWork(
      @PostgresDatabase FreshDatabases postgres,
      @MariaDbDatabase FreshDatabases mariadb,
      @EmbeddedZooKeeper TestingServer zk)
      throws Exception {
    int kills = Integer.getInteger("chaos.kills", 20);
    int tasks = Integer.getInteger("chaos.tasks", 200);
    int chains = chains(System.getProperty("chaos.chains", ""));
    Set<String> wanted =
        labels(
            System.getProperty(
                "chaos.backends", "dir-process,dir-power,sqlite,postgresql,mariadb,zookeeper"));
    List<KillCampaign.Target> targets = targets(wanted, postgres, mariadb, zk);
    // More targets by connection string, e.g.
    // -Dchaos.targets=zookeeper=zookeeper://127.0.0.1:2181/c
    for (String t : System.getProperty("chaos.targets", "").split(",")) {
      int eq = t.indexOf('=');
      if (eq > 0) {
        targets.add(
            new KillCampaign.Target(t.substring(0, eq).strip(), t.substring(eq + 1).strip()));
      }
    }
    campaign(targets, kills, tasks, chains, 0, dir);
  }

  /**
   * Kills inside group commits: each child runs 4 chains of 100 tasks at once, each by its own
   * engine on one shared backend, so their atom and flow writes share transactions; 10 kills on
   * SQLite and on PostgreSQL, each chain audited as the single chain is. The test also checks that
   * the children's writes did form groups (more writes than group commits), without which no kill
   * could land inside one, and that some kills came while groups were forming.
   */
  @Test
  void concurrentChainsSurviveSigkillsInsideGroupCommits(
      @PostgresDatabase FreshDatabases postgres, @MariaDbDatabase FreshDatabases mariadb)
      throws Exception {
    int kills = Integer.getInteger("chaos.concurrent.kills", 10);
    Set<String> wanted =
        labels(System.getProperty("chaos.concurrent.backends", "sqlite,postgresql"));
    // (a server is probed only when a database of it is made: MariaDB only when asked for)
    List<KillCampaign.Target> targets = targets(wanted, postgres, mariadb, null);
    int chains = KillCampaign.DEFAULT_CONCURRENT_CHAINS;
    List<KillCampaign.Result> results = campaign(targets, kills, 100, chains, 0, dir);
    for (KillCampaign.Result r : results) {
      String label = r.target().label();
      if (label.equals("sqlite") || label.equals("postgresql") || label.equals("mariadb")) {
        KillCampaign.Result g =
            untilGrouped(
                r,
                x -> x.groupWrites() > x.groups() && x.groupedKills() > 0,
                () -> targets(Set.of(label), postgres, mariadb, null),
                kills,
                chains,
                0);
        assertThat(g.groupWrites())
            .as("writes carried by group commits, more than the groups: " + g)
            .isGreaterThan(g.groups());
        assertThat(g.groupedKills())
            .as("kills that came while groups were forming: " + g)
            .isPositive();
      }
    }
  }

  /**
   * Kills inside a parallel engine's joint writes: each child runs a fan-out of 100 independent
   * tasks on 4 parallel workers, each worker writing its task's result with its next task's RUNNING
   * marker (or alone, when it finds no next task); 10 kills on SQLite, PostgreSQL and the directory
   * store. No task recorded SUCCESS runs again, a restart re-runs at most the 4 tasks in flight,
   * and on the SQL stores the workers' writes did share group commits. {@code
   * -Dchaos.fanout.backends=...} and {@code -Dchaos.fanout.kills=K} change its backends and kills.
   */
  @Test
  void aParallelFanOutSurvivesSigkillsInsideItsWorkersJointWrites(
      @PostgresDatabase FreshDatabases postgres, @MariaDbDatabase FreshDatabases mariadb)
      throws Exception {
    int kills = Integer.getInteger("chaos.fanout.kills", 10);
    int workers = 4;
    Set<String> wanted =
        labels(System.getProperty("chaos.fanout.backends", "sqlite,postgresql,dir-process"));
    List<KillCampaign.Target> targets = targets(wanted, postgres, mariadb, null);
    List<KillCampaign.Result> results = campaign(targets, kills, 100, 1, workers, dir);
    for (KillCampaign.Result r : results) {
      String label = r.target().label();
      if (label.equals("sqlite") || label.equals("postgresql")) {
        KillCampaign.Result g =
            untilGrouped(
                r,
                x -> x.groupWrites() > x.groups(),
                () -> targets(Set.of(label), postgres, mariadb, null),
                kills,
                1,
                workers);
        assertThat(g.groupWrites())
            .as("writes carried by group commits, more than the groups: " + g)
            .isGreaterThan(g.groups());
      }
    }
  }

  /**
   * {@code first}, or when its children's writes happened to share no group commit the campaign of
   * a fresh store of the same backend, at most {@value #GROUPING_RUNS} campaigns in all. Whether
   * writers meet at a commit is up to the scheduler: a child is counted only from its last report
   * (every 100 ms), so when most kills come early a campaign may see a handful of groups, each of
   * one write, on a loaded machine. Every campaign is checked in full ({@link #campaign}); only the
   * evidence of grouping is sought again, and a backend that never groups still fails.
   */
  private KillCampaign.Result untilGrouped(
      KillCampaign.Result first,
      java.util.function.Predicate<KillCampaign.Result> grouped,
      java.util.concurrent.Callable<List<KillCampaign.Target>> freshTarget,
      int kills,
      int chains,
      int workers)
      throws Exception {
    KillCampaign.Result r = first;
    for (int run = 1; run < GROUPING_RUNS && !grouped.test(r); run++) {
      System.out.println("no grouping seen, a campaign on a fresh store: " + r);
      Path work = dir.resolve("again-" + UUID.randomUUID());
      r = campaign(freshTarget.call(), kills, 100, chains, workers, work).get(0);
    }
    return r;
  }

  /** The campaigns {@link #untilGrouped} runs at most on one backend. */
  private static final int GROUPING_RUNS = 3;

  /**
   * {@code chaos.chains}: empty for 1, {@code on} or {@code true} for the default K, or a number.
   */
  private static int chains(String prop) {
    String p = prop.strip();
    if (p.isEmpty()) {
      return 1;
    }
    if (p.equalsIgnoreCase("on") || p.equalsIgnoreCase("true")) {
      return KillCampaign.DEFAULT_CONCURRENT_CHAINS;
    }
    return Integer.parseInt(p);
  }

  private static Set<String> labels(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(","))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toSet());
  }

  /** The backends of {@code wanted}, made here (a fresh database or root znode each). */
  private List<KillCampaign.Target> targets(
      Set<String> wanted, FreshDatabases postgres, FreshDatabases mariadb, TestingServer zk)
      throws Exception {
    // each test method has its own temporary directory (this.dir)
    List<KillCampaign.Target> targets = new ArrayList<>();
    if (wanted.contains("dir-process")) {
      targets.add(
          new KillCampaign.Target(
              "dir-process", "dir://" + dir.resolve("dir-process") + "?durability=process"));
    }
    if (wanted.contains("dir-power")) {
      targets.add(
          new KillCampaign.Target(
              "dir-power", "dir://" + dir.resolve("dir-power") + "?durability=power"));
    }
    if (wanted.contains("sqlite")) {
      // a file of its own per call: a campaign may be run again on a fresh store (untilGrouped)
      targets.add(
          new KillCampaign.Target(
              "sqlite", "sqlite:///" + dir.resolve("store-" + UUID.randomUUID() + ".db")));
    }
    if (wanted.contains("postgresql")) {
      targets.add(new KillCampaign.Target("postgresql", postgres.url(postgres.create())));
    }
    if (wanted.contains("mariadb") && mariadb != null) {
      targets.add(new KillCampaign.Target("mariadb", mariadb.url(mariadb.create())));
    }
    if (wanted.contains("zookeeper") && zk != null) {
      // a real server (Curator's TestingServer runs ZooKeeper's own server code) in this JVM,
      // which the children reach over loopback; a fresh root znode per campaign
      targets.add(
          new KillCampaign.Target(
              "zookeeper",
              "zookeeper://127.0.0.1:"
                  + zk.getPort()
                  + "/chaos-"
                  + UUID.randomUUID().toString().substring(0, 8)));
    }
    return targets;
  }

  /**
   * Runs a campaign ({@code chains} chains per child, or with {@code workers > 0} the fan-out on
   * that many parallel workers; seed from {@code chaos.seed} when given) on the targets and checks
   * every result.
   */
  private static List<KillCampaign.Result> campaign(
      List<KillCampaign.Target> targets, int kills, int tasks, int chains, int workers, Path work)
      throws Exception {
    String seedProp = System.getProperty("chaos.seed", "");
    // The schema is made once up front; the children's own upgrade() then finds it current.
    for (KillCampaign.Target t : targets) {
      try (Backend b = Backends.open(t.connection())) {
        assertThat(b.conf().backendName()).isNotEmpty();
      }
    }
    KillCampaign.Builder builder =
        KillCampaign.builder(work)
            .kills(kills)
            .tasks(tasks)
            .chains(chains)
            .fanOut(workers)
            .childCommand(KillCampaign.snapshotChildCommand(work.resolve("classpath")));
    if (!seedProp.isBlank()) {
      builder.seed(Long.parseLong(seedProp.strip()));
    }
    KillCampaign campaign = builder.build();
    System.out.println(
        "kill campaign seed "
            + campaign.seed()
            + (chains > 1 ? ", " + chains + " chains" : "")
            + (workers > 0 ? ", fan-out on " + workers + " workers" : ""));
    List<KillCampaign.Result> results = campaign.run(targets, 2);
    results.forEach(System.out::println);
    for (KillCampaign.Result r : results) {
      assertThat(r.problems()).as(r.toString()).isEmpty();
      assertThat(r.kills()).as(r.toString()).isGreaterThanOrEqualTo(kills);
      // a restart re-runs at most one task of each chain, or one per fan-out worker
      assertThat(r.reexecutions())
          .as(r.toString())
          .isLessThanOrEqualTo(r.kills() * Math.max(chains, workers));
    }
    return results;
  }
}
