package io.taskflow4j.conductor;

import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskFlowException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Posts flows as jobs: the logbook first, then the job that points to it. */
public final class FlowJobs {
  private static final Logger LOG = LoggerFactory.getLogger(FlowJobs.class);

  private FlowJobs() {}

  /**
   * Saves a logbook holding one flow detail that records {@code job}'s factory and arguments (so
   * any conductor can rebuild the flow), then posts a job naming it ({@code details.flow_uuid},
   * {@code details.store}). With an idempotency key already on the board, returns that job and
   * saves nothing (a logbook saved by a post that lost a race is removed again).
   */
  public static Job post(Jobboard board, Connection conn, FlowJob job) {
    Objects.requireNonNull(board, "board");
    Objects.requireNonNull(conn, "conn");
    Objects.requireNonNull(job, "job");
    if (job.idempotencyKey() != null) {
      java.util.Optional<Job> posted = board.jobWithIdempotencyKey(job.idempotencyKey());
      if (posted.isPresent()) {
        return posted.get();
      }
    }
    Map<String, Object> factory = new LinkedHashMap<>();
    factory.put("name", FlowFactories.recordedName(job.factory()));
    factory.put("args", job.args());
    factory.put("kwargs", job.kwargs());
    FlowDetail fd =
        FlowDetail.create(job.name()).withMeta(Map.of(FlowDetail.META_FACTORY, factory));
    LogBook book = LogBook.create(job.name()).withFlow(fd);
    conn.saveLogBook(book);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put(JobSpec.FLOW_UUID, fd.uuid());
    if (!job.store().isEmpty()) {
      details.put(JobSpec.STORE, job.store());
    }
    JobSpec spec =
        new JobSpec(
            job.name(),
            new BookRef(book.name(), book.uuid()),
            details,
            job.priority(),
            job.idempotencyKey());
    Job posted;
    try {
      posted = board.post(spec);
    } catch (TaskFlowException | IllegalArgumentException e) {
      discard(conn, book);
      throw e;
    }
    if (posted.book() == null || !book.uuid().equals(posted.book().uuid())) {
      discard(conn, book); // another post with the same key won
    }
    return posted;
  }

  private static void discard(Connection conn, LogBook book) {
    try {
      conn.destroyLogBook(book.uuid());
    } catch (TaskFlowException e) {
      LOG.warn("Could not remove the unused logbook {}: {}", book.uuid(), e.getMessage());
    }
  }
}
