package io.taskflow4j.conductor;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.ConductorInfo;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobEvent;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.FencedException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * A board that records the batched calls made to it and passes everything to another board; its
 * batch completions can be held at a gate.
 */
final class RecordingBoard implements Jobboard {
  /** A batch claim: the maximum asked for and how many jobs it got. */
  record BatchClaim(int max, int got) {}

  final Jobboard board;
  final List<BatchClaim> claims = new CopyOnWriteArrayList<>();
  final List<Integer> completions = new CopyOnWriteArrayList<>();

  /** Told the size of each batch completion when it starts. */
  final BlockingQueue<Integer> completing = new LinkedBlockingQueue<>();

  /** Batch completions wait here before reaching the board (open by default). */
  volatile CountDownLatch gate = new CountDownLatch(0);

  /**
   * When set, every claim raises its fence in this connection's store before it returns, and the
   * board says so for every backend ({@link #raisesFencesIn}), as the SQL board does in its own
   * database.
   */
  volatile io.taskflow4j.persistence.Connection fencesIn;

  RecordingBoard(Jobboard board) {
    this.board = board;
  }

  @Override
  public List<Claim> claimNext(OwnerId owner, int max) {
    List<Claim> got = board.claimNext(owner, max);
    claims.add(new BatchClaim(max, got.size()));
    got.forEach(this::raiseFence);
    return got;
  }

  @Override
  public boolean raisesFencesIn(io.taskflow4j.persistence.Backend backend) {
    return fencesIn != null;
  }

  private Claim raiseFence(Claim claim) {
    if (fencesIn != null) {
      fencesIn.advanceFence(claim.fence());
    }
    return claim;
  }

  @Override
  public Map<Claim, FencedException> completeAll(Collection<? extends Claim> claims) {
    completing.add(claims.size());
    try {
      gate.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    completions.add(claims.size());
    return board.completeAll(claims);
  }

  @Override
  public String describe() {
    return "recording " + board.describe();
  }

  @Override
  public Duration leaseTime() {
    return board.leaseTime();
  }

  @Override
  public Job post(JobSpec spec) {
    return board.post(spec);
  }

  @Override
  public Optional<Claim> claim(String jobUuid, OwnerId owner) {
    return board.claim(jobUuid, owner).map(this::raiseFence);
  }

  @Override
  public Optional<Claim> claimNext(OwnerId owner) {
    return board.claimNext(owner).map(this::raiseFence);
  }

  @Override
  public List<Job> jobs() {
    return board.jobs();
  }

  @Override
  public Optional<Job> job(String jobUuid) {
    return board.job(jobUuid);
  }

  @Override
  public List<Job> trashedJobs() {
    return board.trashedJobs();
  }

  @Override
  public Subscription subscribe(Consumer<JobEvent> listener) {
    return board.subscribe(listener);
  }

  @Override
  public boolean awaitWork(Duration timeout) throws InterruptedException {
    return board.awaitWork(timeout);
  }

  @Override
  public Subscription register(OwnerId conductor, Map<String, Object> meta) {
    return board.register(conductor, meta);
  }

  @Override
  public List<ConductorInfo> conductors() {
    return board.conductors();
  }

  @Override
  public void close() {
    board.close();
  }
}
