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
 * children reach over loopback, under a fresh root znode.
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
    String seedProp = System.getProperty("chaos.seed", "");
    Set<String> wanted =
        Arrays.stream(
                System.getProperty(
                        "chaos.backends",
                        "dir-process,dir-power,sqlite,postgresql,mariadb,zookeeper")
                    .split(","))
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .collect(Collectors.toSet());
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
      targets.add(new KillCampaign.Target("sqlite", "sqlite:///" + dir.resolve("store.db")));
    }
    if (wanted.contains("postgresql")) {
      targets.add(new KillCampaign.Target("postgresql", postgres.url(postgres.create())));
    }
    if (wanted.contains("mariadb")) {
      targets.add(new KillCampaign.Target("mariadb", mariadb.url(mariadb.create())));
    }
    if (wanted.contains("zookeeper")) {
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
    // More targets by connection string, e.g.
    // -Dchaos.targets=zookeeper=zookeeper://127.0.0.1:2181/c
    for (String t : System.getProperty("chaos.targets", "").split(",")) {
      int eq = t.indexOf('=');
      if (eq > 0) {
        targets.add(
            new KillCampaign.Target(t.substring(0, eq).strip(), t.substring(eq + 1).strip()));
      }
    }
    // The schema is made once up front; the children's own upgrade() then finds it current.
    for (KillCampaign.Target t : targets) {
      try (Backend b = Backends.open(t.connection())) {
        assertThat(b.conf().backendName()).isNotEmpty();
      }
    }
    KillCampaign.Builder builder =
        KillCampaign.builder(dir)
            .kills(kills)
            .tasks(tasks)
            .childCommand(KillCampaign.snapshotChildCommand(dir.resolve("classpath")));
    if (!seedProp.isBlank()) {
      builder.seed(Long.parseLong(seedProp.strip()));
    }
    KillCampaign campaign = builder.build();
    System.out.println("kill campaign seed " + campaign.seed());
    List<KillCampaign.Result> results = campaign.run(targets, 2);
    results.forEach(System.out::println);
    for (KillCampaign.Result r : results) {
      assertThat(r.problems()).as(r.toString()).isEmpty();
      assertThat(r.kills()).as(r.toString()).isGreaterThanOrEqualTo(kills);
      assertThat(r.reexecutions()).as(r.toString()).isLessThanOrEqualTo(r.kills());
    }
  }
}
