package io.taskflow4j.persistence.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.JobState;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OpenStack TaskFlow's {@code ZookeeperJobBoard} (Python, kazoo) and this board share one board
 * directory: each lists, and claims, what the other posted, and each sees the other's claims.
 * Without TaskFlow or kazoo the tests are skipped with a message, except on CI ({@code CI=true}),
 * where that is a failure.
 */
class TaskFlowZkJobboardInteropTest {
  private static final Path SCRIPT = TaskFlowPython.script("tf_zk_jobboard.py");
  @EmbeddedZooKeeper private static TestingServer server;
  private static String problem;
  private String path;
  private Jobboard board;

  @BeforeAll
  static void findTaskFlow() throws Exception {
    problem = TaskFlowPython.problem(SCRIPT);
  }

  @BeforeEach
  void open() {
    TaskFlowPython.require(problem);
    path = ZkTesting.freshPath("tf-board");
    board = Jobboards.open("zookeeper://" + server.getConnectString() + path + "?lease=5");
  }

  @AfterEach
  void close() {
    if (board != null) {
      board.close();
    }
  }

  private Object taskFlow(String... args) throws Exception {
    String[] all = new String[args.length + 2];
    all[0] = args[0];
    all[1] = server.getConnectString();
    all[2] = path + "/jobs";
    System.arraycopy(args, 1, all, 3, args.length - 1);
    return TaskFlowPython.runJson(SCRIPT, all);
  }

  @Test
  void aJobTaskFlowPostedIsListedAndClaimedHere() throws Exception {
    Map<?, ?> posted = (Map<?, ?>) taskFlow("post", "from taskflow", "HIGH");
    String uuid = (String) posted.get("uuid");
    Job job = board.job(uuid).orElseThrow();
    assertThat(job.name()).isEqualTo("from taskflow");
    assertThat(job.priority()).isEqualTo(JobPriority.HIGH);
    assertThat(job.book()).isEqualTo(new BookRef("tf-book", (String) posted.get("book_uuid")));
    assertThat(job.flowUuid()).hasValue("f-tf");
    assertThat(((Number) job.store().get("n")).intValue()).isEqualTo(1);
    assertThat(job.state()).isEqualTo(JobState.UNCLAIMED);

    OwnerId me = OwnerId.generate("java");
    Claim claim = board.claimNext(me).orElseThrow();
    assertThat(claim.job().uuid()).isEqualTo(uuid);
    List<?> seen = (List<?>) taskFlow("list");
    assertThat(seen).hasSize(1);
    assertThat(((Map<?, ?>) seen.get(0)).get("state")).isEqualTo("CLAIMED");
    assertThat(taskFlow("claim", uuid, "python-conductor")).isEqualTo(Map.of("claimed", false));
    claim.complete();
    assertThat((List<?>) taskFlow("list")).isEmpty();
  }

  @Test
  void aJobPostedHereIsListedAndClaimedByTaskFlow() throws Exception {
    BookRef book = new BookRef("java book", UUID.randomUUID().toString());
    Job job =
        board.post(
            new JobSpec(
                "from java",
                book,
                Map.of("flow_uuid", "f-java", "store", Map.of("k", "v")),
                JobPriority.VERY_HIGH,
                null));
    List<?> seen = (List<?>) taskFlow("list");
    assertThat(seen).hasSize(1);
    Map<?, ?> tf = (Map<?, ?>) seen.get(0);
    assertThat(tf.get("uuid")).isEqualTo(job.uuid());
    assertThat(tf.get("name")).isEqualTo("from java");
    assertThat(tf.get("details"))
        .isEqualTo(Map.of("flow_uuid", "f-java", "store", Map.of("k", "v")));
    assertThat(tf.get("book")).isEqualTo(Map.of("name", "java book", "uuid", book.uuid()));
    assertThat(tf.get("priority")).isEqualTo("VERY_HIGH");
    assertThat(tf.get("state")).isEqualTo("UNCLAIMED");

    assertThat(taskFlow("claim", job.uuid(), "python-conductor"))
        .isEqualTo(Map.of("claimed", true));
    // TaskFlow closed its session on exit, which removed its lock: the job is free again
    Claim again = board.claimNext(OwnerId.generate("java")).orElseThrow();
    assertThat(again.job().uuid()).isEqualTo(job.uuid());
    assertThat(again.token()).isEqualTo(1);
    again.complete();
  }
}
