package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobEvent;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.jobs.TrashedJob;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.NotFoundException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every jobboard must do: posting (idempotent with a key), claiming in priority-then-age
 * order, exclusive claims with growing tokens, leases that are renewed while held and lapse when
 * not, completing, releasing and trashing only by the current holder, events, waiting for work and
 * conductor registration. Extend it and implement {@link #openBoard}.
 */
@Timeout(120)
public abstract class JobboardContractTest {
  private final List<Jobboard> opened = Collections.synchronizedList(new ArrayList<>());

  /**
   * Opens a new board instance on this test's store, as another process would (its own sessions and
   * renewals). Every call within one test reaches the same jobs; each test starts with an empty
   * board.
   */
  protected abstract Jobboard openBoard(Duration leaseTime) throws Exception;

  /** Makes {@code board} stop as a killed process would; by default it is closed. */
  protected void crash(Jobboard board) {
    board.close();
  }

  /** The lease time for tests of lapsing; short, so the kit stays fast. */
  protected Duration shortLease() {
    return Duration.ofSeconds(1);
  }

  /**
   * Whether the board tells when a claim's lease lapses ({@link Job#leaseUntil}). Boards whose
   * claim is a lock or a session (files, ZooKeeper) have no such time and answer {@code false}.
   */
  protected boolean reportsLeaseExpiry() {
    return false;
  }

  /**
   * Whether the board tells a conductor's last heartbeat ({@link
   * io.taskflow4j.jobs.ConductorInfo#lastSeen}): only boards whose registrations are renewed by a
   * heartbeat have one.
   */
  protected boolean reportsHeartbeats() {
    return false;
  }

  /** A board with a lease long enough never to lapse during a test. */
  protected final Jobboard board() throws Exception {
    return track(openBoard(Duration.ofSeconds(30)));
  }

  private Jobboard track(Jobboard b) {
    opened.add(b);
    return b;
  }

  @AfterEach
  void closeBoards() {
    for (Jobboard b : opened) {
      try {
        b.close();
      } catch (RuntimeException ignored) {
        // already crashed or closed
      }
    }
  }

  private static final BookRef BOOK = new BookRef("book", UUID.randomUUID().toString());

  private static JobSpec spec(String name) {
    return JobSpec.of(name, BOOK, UUID.randomUUID().toString());
  }

  private static OwnerId owner(String name) {
    return OwnerId.generate(name);
  }

  @Test
  @DisplayName("a posted job is listed with what it was posted with, unclaimed")
  void postAndList() throws Exception {
    Jobboard a = board();
    Map<String, Object> details = Map.of("flow_uuid", "f-1", "store", Map.of("x", 1, "y", "z"));
    Job posted = a.post(new JobSpec("nightly", BOOK, details, JobPriority.HIGH, null));
    Jobboard b = board();
    Job listed = b.job(posted.uuid()).orElseThrow();
    assertThat(listed.name()).isEqualTo("nightly");
    assertThat(listed.book()).isEqualTo(BOOK);
    assertThat(listed.details()).isEqualTo(details);
    assertThat(listed.flowUuid()).hasValue("f-1");
    assertThat(listed.store()).isEqualTo(Map.of("x", 1, "y", "z"));
    assertThat(listed.priority()).isEqualTo(JobPriority.HIGH);
    assertThat(listed.state()).isEqualTo(JobState.UNCLAIMED);
    assertThat(listed.owner()).isNull();
    assertThat(b.jobs()).extracting(Job::uuid).containsExactly(posted.uuid());
    assertThat(b.job(UUID.randomUUID().toString())).isEmpty();
  }

  @Test
  @DisplayName("jobs are listed and claimed highest priority first, oldest first within one")
  void priorityThenAge() throws Exception {
    Jobboard a = board();
    Job low = a.post(spec("low").withPriority(JobPriority.LOW));
    Job vh1 = a.post(spec("vh1").withPriority(JobPriority.VERY_HIGH));
    Job normal = a.post(spec("normal"));
    Job vh2 = a.post(spec("vh2").withPriority(JobPriority.VERY_HIGH));
    Job vlow = a.post(spec("vlow").withPriority(JobPriority.VERY_LOW));
    List<String> expected = List.of(vh1.uuid(), vh2.uuid(), normal.uuid(), low.uuid(), vlow.uuid());
    assertThat(board().jobs()).extracting(Job::uuid).containsExactlyElementsOf(expected);
    OwnerId me = owner("c1");
    List<String> claimed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      claimed.add(a.claimNext(me).orElseThrow().job().uuid());
    }
    assertThat(claimed).containsExactlyElementsOf(expected);
    assertThat(a.claimNext(me)).isEmpty();
  }

  @Test
  @DisplayName("a batch claim takes jobs highest priority first, oldest first, up to its maximum")
  void batchClaimFollowsPriorityThenAge() throws Exception {
    Jobboard a = board();
    Job low = a.post(spec("low").withPriority(JobPriority.LOW));
    Job vh1 = a.post(spec("vh1").withPriority(JobPriority.VERY_HIGH));
    Job normal = a.post(spec("normal"));
    Job vh2 = a.post(spec("vh2").withPriority(JobPriority.VERY_HIGH));
    Job vlow = a.post(spec("vlow").withPriority(JobPriority.VERY_LOW));
    Job high = a.post(spec("high").withPriority(JobPriority.HIGH));
    OwnerId me = owner("c1");
    Jobboard b = board();
    List<Claim> first = b.claimNext(me, 4);
    assertThat(first)
        .extracting(c -> c.job().uuid())
        .containsExactly(vh1.uuid(), vh2.uuid(), high.uuid(), normal.uuid());
    List<Claim> rest = b.claimNext(me, 4);
    assertThat(rest).extracting(c -> c.job().uuid()).containsExactly(low.uuid(), vlow.uuid());
    assertThat(b.claimNext(me, 4)).isEmpty();
    assertThat(a.unclaimedJobs()).isEmpty();
    assertThat(a.jobs())
        .allSatisfy(j -> assertThat(j.owner()).as("owner of %s", j.name()).isEqualTo(me.id()));
    assertThatThrownBy(() -> b.claimNext(me, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("each job of a batch claim has a token of its own, above its earlier claims'")
  void batchClaimTokens() throws Exception {
    Jobboard a = board();
    Jobboard b = board();
    Job once = a.post(spec("once"));
    Job twice = a.post(spec("twice"));
    Job fresh = a.post(spec("fresh"));
    Claim c1 = a.claim(once.uuid(), owner("c1")).orElseThrow();
    c1.release();
    Claim c2 = a.claim(twice.uuid(), owner("c1")).orElseThrow();
    c2.release();
    Claim c3 = a.claim(twice.uuid(), owner("c1")).orElseThrow();
    c3.release();
    OwnerId me = owner("c2");
    List<Claim> batch = b.claimNext(me, 5);
    assertThat(batch).hasSize(3);
    for (Claim c : batch) {
      assertThat(c.isHeld()).isTrue();
      assertThat(c.owner()).isEqualTo(me);
      assertThat(c.token()).isPositive();
      assertThat(c.fence().key()).isEqualTo(c.job().uuid());
      assertThat(c.fence().token()).isEqualTo(c.token());
      assertThat(c.job().token()).isEqualTo(c.token());
    }
    Map<String, Long> token = new java.util.HashMap<>();
    batch.forEach(c -> token.put(c.job().uuid(), c.token()));
    assertThat(token.get(once.uuid())).isGreaterThan(c1.token());
    assertThat(token.get(twice.uuid())).isGreaterThan(c3.token());
    assertThat(token).containsKey(fresh.uuid());
    // the earlier claims are fenced off
    assertThatThrownBy(c3::complete).isInstanceOf(FencedException.class);
    assertThat(a.claimNext(owner("c3"), 3)).isEmpty();
    assertThat(b.completeAll(batch)).isEmpty();
    assertThat(a.jobs()).isEmpty();
  }

  @Test
  @DisplayName("a batch completion removes every held claim's job; a stale claim fails alone")
  void batchCompletionRefusesAStaleClaimAlone() throws Exception {
    Jobboard a = board();
    Jobboard b = board();
    for (int i = 0; i < 4; i++) {
      a.post(spec("j" + i));
    }
    List<Claim> batch = b.claimNext(owner("c1"), 4);
    assertThat(batch).hasSize(4);
    Claim stale = batch.get(1);
    stale.release();
    Claim retaken = a.claim(stale.job().uuid(), owner("c2")).orElseThrow();
    BlockingQueue<JobEvent> events = new LinkedBlockingQueue<>();
    try (Jobboard.Subscription s = b.subscribe(events::add)) {
      Map<Claim, FencedException> refused = b.completeAll(batch);
      assertThat(refused).containsOnlyKeys(stale);
      assertThat(refused.get(stale)).hasMessageContaining(stale.job().uuid());
      for (Claim c : batch) {
        assertThat(c.isHeld()).isFalse();
      }
      assertThat(a.jobs()).extracting(Job::uuid).containsExactly(stale.job().uuid());
      assertThat(retaken.isHeld()).isTrue();
      List<String> completed = new ArrayList<>();
      while (completed.size() < 3) {
        JobEvent e = events.poll(10, TimeUnit.SECONDS);
        assertThat(e).as("completion event %d of 3", completed.size() + 1).isNotNull();
        if (e.kind() == JobEvent.Kind.COMPLETED) {
          completed.add(e.jobUuid());
        }
      }
      assertThat(completed)
          .containsExactlyInAnyOrder(
              batch.get(0).job().uuid(), batch.get(2).job().uuid(), batch.get(3).job().uuid());
    }
    retaken.complete();
    assertThat(b.completeAll(List.of())).isEmpty();
  }

  @Test
  @DisplayName("the jobs a crashed owner claimed in one batch are taken over after their lease")
  void crashedOwnersBatchIsTakenOver() throws Exception {
    Duration lease = shortLease();
    Jobboard a = track(openBoard(lease));
    Jobboard b = track(openBoard(lease));
    Set<String> posted = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      posted.add(a.post(spec("j" + i)).uuid());
    }
    List<Claim> dead = a.claimNext(owner("c1"), 3);
    assertThat(dead).hasSize(3);
    long crashedAt = System.nanoTime();
    crash(a);
    List<Claim> taken = new ArrayList<>();
    long deadline = crashedAt + lease.multipliedBy(4).toNanos() + TimeUnit.SECONDS.toNanos(2);
    while (taken.size() < 3 && System.nanoTime() < deadline) {
      b.awaitWork(Duration.ofMillis(100));
      taken.addAll(b.claimNext(owner("c2"), 3 - taken.size()));
    }
    assertThat(taken).as("taken over within 4 leases + 2 s").hasSize(3);
    assertThat(Duration.ofNanos(System.nanoTime() - crashedAt))
        .isLessThan(lease.multipliedBy(2).plusSeconds(2));
    assertThat(taken).extracting(c -> c.job().uuid()).containsExactlyInAnyOrderElementsOf(posted);
    for (Claim t : taken) {
      Claim before =
          dead.stream().filter(d -> d.job().uuid().equals(t.job().uuid())).findFirst().get();
      assertThat(t.token()).isGreaterThan(before.token());
    }
    assertThat(b.completeAll(taken)).isEmpty();
    assertThat(b.jobs()).isEmpty();
  }

  @Test
  @DisplayName("a claim is exclusive, carries a positive token and shows its owner")
  void claimIsExclusive() throws Exception {
    Jobboard a = board();
    Jobboard b = board();
    Job job = a.post(spec("j"));
    OwnerId me = owner("c1");
    Claim c = a.claim(job.uuid(), me).orElseThrow();
    assertThat(c.token()).isPositive();
    assertThat(c.isHeld()).isTrue();
    assertThat(c.fence().key()).isEqualTo(job.uuid());
    assertThat(c.fence().token()).isEqualTo(c.token());
    assertThat(b.claim(job.uuid(), owner("c2"))).isEmpty();
    assertThat(b.claimNext(owner("c2"))).isEmpty();
    Job seen = b.job(job.uuid()).orElseThrow();
    assertThat(seen.state()).isEqualTo(JobState.CLAIMED);
    assertThat(seen.owner()).isEqualTo(me.id());
    assertThat(b.unclaimedJobs()).isEmpty();
  }

  @Test
  @DisplayName("claiming a job that is not on the board is NotFound")
  void claimMissing() throws Exception {
    Jobboard a = board();
    String missing = UUID.randomUUID().toString();
    assertThatThrownBy(() -> a.claim(missing, owner("c1")))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining(missing);
  }

  @Test
  @DisplayName("a released job is claimable again, with a higher token")
  void releaseThenReclaim() throws Exception {
    Jobboard a = board();
    Jobboard b = board();
    Job job = a.post(spec("j"));
    Claim first = a.claim(job.uuid(), owner("c1")).orElseThrow();
    first.release();
    assertThat(first.isHeld()).isFalse();
    assertThat(first.isCompleted()).isFalse();
    assertThat(b.job(job.uuid()).orElseThrow().state()).isEqualTo(JobState.UNCLAIMED);
    Claim second = b.claimNext(owner("c2")).orElseThrow();
    assertThat(second.job().uuid()).isEqualTo(job.uuid());
    assertThat(second.token()).isGreaterThan(first.token());
    assertThatThrownBy(first::complete).isInstanceOf(FencedException.class);
    assertThatThrownBy(first::release).isInstanceOf(FencedException.class);
    assertThat(b.job(job.uuid()).orElseThrow().owner()).isEqualTo(second.owner().id());
  }

  @Test
  @DisplayName("a release after a failure counts it")
  void releaseAfterFailureCounts() throws Exception {
    Jobboard a = board();
    Job job = a.post(spec("j"));
    a.claim(job.uuid(), owner("c1")).orElseThrow().releaseAfterFailure("bad factory");
    a.claim(job.uuid(), owner("c1")).orElseThrow().releaseAfterFailure("bad factory");
    Job seen = board().job(job.uuid()).orElseThrow();
    assertThat(seen.failures()).isEqualTo(2);
    assertThat(seen.state()).isEqualTo(JobState.UNCLAIMED);
  }

  @Test
  @DisplayName("a completed job leaves the board; the claim cannot be used again")
  void complete() throws Exception {
    Jobboard a = board();
    Jobboard b = board();
    Job job = a.post(spec("j"));
    Job other = a.post(spec("k"));
    Claim c = a.claim(job.uuid(), owner("c1")).orElseThrow();
    assertThat(c.isCompleted()).isFalse();
    c.complete();
    assertThat(c.isHeld()).isFalse();
    assertThat(c.isCompleted()).isTrue();
    assertThat(b.job(job.uuid())).isEmpty();
    assertThat(b.jobs()).extracting(Job::uuid).containsExactly(other.uuid());
    assertThatThrownBy(c::complete).isInstanceOf(FencedException.class);
    assertThatThrownBy(() -> b.claim(job.uuid(), owner("c2")))
        .isInstanceOf(NotFoundException.class);
    assertThat(b.trashedJobs()).isEmpty();
  }

  @Test
  @DisplayName("a trashed job leaves the board for the trash")
  void trash() throws Exception {
    Jobboard a = board();
    Job job = a.post(spec("j"));
    a.claim(job.uuid(), owner("c1")).orElseThrow().trash("cannot be built");
    Jobboard b = board();
    assertThat(b.jobs()).isEmpty();
    assertThat(b.trashedJobs()).extracting(Job::uuid).containsExactly(job.uuid());
    assertThat(b.trashedJobs().get(0).name()).isEqualTo("j");
  }

  @Test
  @DisplayName("the trash lists its jobs as TRASHED, never as a state of a job on the board")
  void trashedJobsAreListedAsTrashed() throws Exception {
    Jobboard a = board();
    Job first = a.post(spec("first"));
    Job second = a.post(spec("second"));
    a.claim(first.uuid(), owner("c1")).orElseThrow().trash("cannot be built");
    Jobboard b = board();
    // claimed by another owner, and the second claim of the job: its token is past the first
    b.claim(second.uuid(), owner("c2")).orElseThrow().release();
    b.claim(second.uuid(), owner("c3")).orElseThrow().trash("failed too often");
    List<Job> trashed = board().trashedJobs();
    assertThat(trashed).extracting(Job::uuid).containsExactly(first.uuid(), second.uuid());
    assertThat(trashed)
        .allSatisfy(
            j -> {
              assertThat(j.state())
                  .as("state of trashed job %s", j.name())
                  .isEqualTo(JobState.TRASHED);
              assertThat(j.owner()).as("owner of trashed job %s", j.name()).isNull();
            });
  }

  @Test
  @DisplayName("the trash tells when and why each of its jobs was trashed")
  void trashEntriesTellWhenAndWhyEachJobWasTrashed() throws Exception {
    Jobboard a = board();
    Job first = a.post(spec("first"));
    Job second = a.post(spec("second"));
    Instant before = Instant.now().minusSeconds(1); // the board's clock may be the server's
    a.claim(second.uuid(), owner("c1")).orElseThrow().trash("failed too often");
    board().claim(first.uuid(), owner("c2")).orElseThrow().trash("cannot be built");
    Instant after = Instant.now().plusSeconds(1);

    List<TrashedJob> trash = board().trashEntries();
    assertThat(trash).extracting(t -> t.job().uuid()).containsExactly(first.uuid(), second.uuid());
    assertThat(trash)
        .extracting(TrashedJob::reason)
        .containsExactly("cannot be built", "failed too often");
    assertThat(trash)
        .allSatisfy(
            t -> {
              assertThat(t.job().state()).isEqualTo(JobState.TRASHED);
              assertThat(t.trashedOn()).as("trashed on").isBetween(before, after);
            });
    assertThat(board().trashedJobs())
        .extracting(Job::uuid)
        .containsExactly(first.uuid(), second.uuid());
  }

  @Test
  @DisplayName("emptying the trash removes the jobs trashed before the cut-off, and only those")
  void purgeTrashRemovesOnlyTheJobsTrashedBeforeTheCutoff() throws Exception {
    Jobboard a = board();
    Job old = a.post(spec("old"));
    Job recent = a.post(spec("recent"));
    Job waiting = a.post(spec("waiting"));
    a.claim(old.uuid(), owner("c1")).orElseThrow().trash("cannot be built");
    // The board dates a trashed job by its own clock (the JVM's, the file system's, the
    // ensemble's, to the millisecond): a cut-off well clear of both trashings.
    Thread.sleep(50);
    Instant cutoff = Instant.now();
    Thread.sleep(50);
    Jobboard b = board();
    b.claim(recent.uuid(), owner("c2")).orElseThrow().trash("failed too often");

    assertThat(b.purgeTrash(cutoff)).as("jobs removed from the trash").isEqualTo(1);
    assertThat(a.trashedJobs()).extracting(Job::uuid).containsExactly(recent.uuid());
    assertThat(a.purgeTrash(cutoff)).as("removed by a second purge").isZero();
    assertThat(a.jobs()).extracting(Job::uuid).containsExactly(waiting.uuid());
    assertThat(a.countJobs()).containsEntry(JobState.TRASHED, 1L);

    assertThat(a.purgeTrash(Instant.now().plusSeconds(1))).isEqualTo(1);
    assertThat(board().trashedJobs()).isEmpty();
    assertThat(board().jobs()).extracting(Job::uuid).containsExactly(waiting.uuid());
    assertThat(board().claimNext(owner("c3")).orElseThrow().job().uuid())
        .as("the job on the board is still claimable")
        .isEqualTo(waiting.uuid());
  }

  @Test
  @DisplayName("posting again with the same idempotency key returns the job already posted")
  void idempotentPost() throws Exception {
    Jobboard a = board();
    Jobboard b = board();
    Job first = a.post(spec("j").withIdempotencyKey("order-42"));
    Job again = b.post(spec("j2").withIdempotencyKey("order-42"));
    Job other = b.post(spec("j3").withIdempotencyKey("order-43"));
    assertThat(again.uuid()).isEqualTo(first.uuid());
    assertThat(other.uuid()).isNotEqualTo(first.uuid());
    assertThat(a.jobs()).hasSize(2);
    assertThat(a.job(first.uuid()).orElseThrow().idempotencyKey()).isEqualTo("order-42");
  }

  @Test
  @DisplayName("the job of an idempotency key is found by the key, while it is on the board")
  void jobFoundByItsIdempotencyKey() throws Exception {
    Jobboard a = board();
    Jobboard b = board();
    a.post(spec("plain"));
    Job keyed = a.post(spec("keyed").withIdempotencyKey("order-7"));
    a.post(spec("other").withIdempotencyKey("order-8"));
    assertThat(b.jobWithIdempotencyKey("order-7")).map(Job::uuid).hasValue(keyed.uuid());
    assertThat(a.jobWithIdempotencyKey("order-7").orElseThrow().idempotencyKey())
        .isEqualTo("order-7");
    assertThat(b.jobWithIdempotencyKey("order-9")).isEmpty();
    // once the job is completed the key is free: nothing is found, and a post posts again
    Claim c = b.claim(keyed.uuid(), owner("c1")).orElseThrow();
    assertThat(b.jobWithIdempotencyKey("order-7")).map(Job::uuid).hasValue(keyed.uuid());
    c.complete();
    assertThat(a.jobWithIdempotencyKey("order-7")).isEmpty();
    Job again = a.post(spec("keyed").withIdempotencyKey("order-7"));
    assertThat(again.uuid()).isNotEqualTo(keyed.uuid());
    assertThat(b.jobWithIdempotencyKey("order-7")).map(Job::uuid).hasValue(again.uuid());
  }

  @Test
  @DisplayName("the first jobs in claiming order, and the count of each state")
  void firstJobsAndCounts() throws Exception {
    Jobboard a = board();
    Jobboard b = board();
    assertThat(a.countJobs())
        .containsEntry(JobState.UNCLAIMED, 0L)
        .containsEntry(JobState.CLAIMED, 0L)
        .containsEntry(JobState.TRASHED, 0L);
    Job low = a.post(spec("low").withPriority(JobPriority.LOW));
    Job high = a.post(spec("high").withPriority(JobPriority.HIGH));
    Job normal = a.post(spec("normal"));
    Job trashed = a.post(spec("trashed").withPriority(JobPriority.VERY_LOW));
    assertThat(b.jobs(2)).extracting(Job::uuid).containsExactly(high.uuid(), normal.uuid());
    assertThat(b.jobs(10))
        .extracting(Job::uuid)
        .containsExactlyElementsOf(b.jobs().stream().map(Job::uuid).toList());
    assertThatThrownBy(() -> b.jobs(0)).isInstanceOf(IllegalArgumentException.class);
    b.claim(trashed.uuid(), owner("c1")).orElseThrow().trash("not needed");
    Claim held = b.claim(normal.uuid(), owner("c1")).orElseThrow();
    assertThat(a.countJobs())
        .containsEntry(JobState.UNCLAIMED, 2L)
        .containsEntry(JobState.CLAIMED, 1L)
        .containsEntry(JobState.TRASHED, 1L);
    assertThat(a.jobs(1)).extracting(Job::uuid).containsExactly(high.uuid());
    held.complete();
    assertThat(b.countJobs())
        .containsEntry(JobState.UNCLAIMED, 2L)
        .containsEntry(JobState.CLAIMED, 0L)
        .containsEntry(JobState.TRASHED, 1L);
    assertThat(low.uuid()).isIn(b.jobs(5).stream().map(Job::uuid).toList());
  }

  @Test
  @DisplayName("a held claim is renewed past its lease time")
  void leaseIsRenewed() throws Exception {
    Duration lease = shortLease();
    Jobboard a = track(openBoard(lease));
    Jobboard b = track(openBoard(lease));
    Job job = a.post(spec("j"));
    Claim c = a.claim(job.uuid(), owner("c1")).orElseThrow();
    Thread.sleep(lease.multipliedBy(3).toMillis());
    assertThat(c.isHeld()).isTrue();
    assertThat(b.claim(job.uuid(), owner("c2"))).isEmpty();
    c.complete();
  }

  @Test
  @DisplayName("the claim of a crashed owner lapses; a peer takes the job with a higher token")
  void crashedOwnerLapses() throws Exception {
    Duration lease = shortLease();
    Jobboard a = track(openBoard(lease));
    Jobboard b = track(openBoard(lease));
    Job job = a.post(spec("j"));
    Claim dead = a.claim(job.uuid(), owner("c1")).orElseThrow();
    long crashedAt = System.nanoTime();
    crash(a);
    Optional<Claim> taken = Optional.empty();
    long deadline = crashedAt + lease.multipliedBy(4).toNanos() + TimeUnit.SECONDS.toNanos(2);
    while (taken.isEmpty() && System.nanoTime() < deadline) {
      b.awaitWork(Duration.ofMillis(100));
      taken = b.claimNext(owner("c2"));
    }
    assertThat(taken).as("taken over within 4 leases + 2 s").isPresent();
    Duration took = Duration.ofNanos(System.nanoTime() - crashedAt);
    assertThat(took).isLessThan(lease.multipliedBy(2).plusSeconds(2));
    assertThat(taken.get().token()).isGreaterThan(dead.token());
    taken.get().complete();
  }

  @Test
  @DisplayName("concurrent claimers never get the same job")
  void concurrentClaimsAreExclusive() throws Exception {
    Jobboard poster = board();
    int jobs = 40;
    Set<String> posted = new HashSet<>();
    for (int i = 0; i < jobs; i++) {
      posted.add(poster.post(spec("j" + i)).uuid());
    }
    int claimers = 4;
    List<Jobboard> boards = new ArrayList<>();
    for (int i = 0; i < claimers; i++) {
      boards.add(board());
    }
    ExecutorService pool = Executors.newFixedThreadPool(claimers);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<String>>> results = new ArrayList<>();
      for (int i = 0; i < claimers; i++) {
        Jobboard bd = boards.get(i);
        OwnerId me = owner("c" + i);
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  List<String> mine = new ArrayList<>();
                  for (Optional<Claim> c = bd.claimNext(me); c.isPresent(); c = bd.claimNext(me)) {
                    mine.add(c.get().job().uuid());
                    c.get().complete();
                  }
                  return mine;
                }));
      }
      start.countDown();
      List<String> all = new ArrayList<>();
      for (Future<List<String>> f : results) {
        all.addAll(f.get(90, TimeUnit.SECONDS));
      }
      assertThat(all).doesNotHaveDuplicates();
      assertThat(new HashSet<>(all)).isEqualTo(posted);
      assertThat(poster.jobs()).isEmpty();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("the board's own operations are delivered as events, in order")
  void eventsOfOwnOperations() throws Exception {
    Jobboard a = board();
    BlockingQueue<JobEvent> events = new LinkedBlockingQueue<>();
    try (Jobboard.Subscription s = a.subscribe(events::add)) {
      Job job = a.post(spec("j"));
      Claim c = a.claim(job.uuid(), owner("c1")).orElseThrow();
      c.release();
      a.claim(job.uuid(), owner("c1")).orElseThrow().complete();
      List<JobEvent.Kind> kinds = new ArrayList<>();
      while (kinds.size() < 5) {
        JobEvent e = events.poll(10, TimeUnit.SECONDS);
        assertThat(e).as("event %d of 5 (got %s)", kinds.size() + 1, kinds).isNotNull();
        if (e.jobUuid().equals(job.uuid())) {
          kinds.add(e.kind());
        }
      }
      assertThat(kinds)
          .containsExactly(
              JobEvent.Kind.POSTED,
              JobEvent.Kind.CLAIMED,
              JobEvent.Kind.RELEASED,
              JobEvent.Kind.CLAIMED,
              JobEvent.Kind.COMPLETED);
    }
  }

  @Test
  @DisplayName("an idle waiter wakes when a peer posts")
  void awaitWorkWakesOnPost() throws Exception {
    Jobboard a = board();
    Jobboard b = board();
    assertThat(b.awaitWork(Duration.ofMillis(200))).isFalse();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Boolean> woke = pool.submit(() -> b.awaitWork(Duration.ofSeconds(20)));
      Thread.sleep(200);
      long posted = System.nanoTime();
      a.post(spec("j"));
      assertThat(woke.get(30, TimeUnit.SECONDS)).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - posted)).isLessThan(Duration.ofSeconds(5));
      assertThat(b.claimNext(owner("c2"))).isPresent();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("registered conductors are listed until they unregister")
  void conductors() throws Exception {
    Jobboard a = board();
    Jobboard b = board();
    OwnerId me = owner("conductor-1");
    Jobboard.Subscription reg = a.register(me, Map.of("jobs", 4L));
    assertThat(b.conductors())
        .anySatisfy(
            c -> {
              assertThat(c.id()).isEqualTo(me.id());
              assertThat(c.name()).isEqualTo("conductor-1");
            });
    reg.close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (b.conductors().stream().anyMatch(c -> c.id().equals(me.id()))
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(b.conductors()).noneMatch(c -> c.id().equals(me.id()));
  }

  @Test
  @DisplayName("a claimed job is listed with its lease expiry, about a lease ahead; others without")
  void leaseExpiryIsListed() throws Exception {
    Jobboard a = board();
    Jobboard b = board();
    Job posted = a.post(spec("leased"));
    assertThat(b.job(posted.uuid()).orElseThrow().leaseUntil()).isNull();
    Claim claim = a.claim(posted.uuid(), owner("c1")).orElseThrow();
    Instant claimedAt = Instant.now();
    Job listed = b.job(posted.uuid()).orElseThrow();
    assertThat(listed.state()).isEqualTo(JobState.CLAIMED);
    if (reportsLeaseExpiry()) {
      // a lease of 30 s from the claim, read on this JVM's clock (a little slack for the reads)
      assertThat(listed.leaseUntil())
          .isAfter(Instant.now())
          .isBetween(
              claimedAt.plus(Duration.ofSeconds(27)), claimedAt.plus(Duration.ofSeconds(31)));
      // boards that read the time as a distance from the store's clock may differ by a little
      assertThat(b.jobs().get(0).leaseUntil())
          .isBetween(listed.leaseUntil().minusSeconds(1), listed.leaseUntil().plusSeconds(1));
    } else {
      assertThat(listed.leaseUntil()).isNull();
    }
    claim.release();
    assertThat(b.job(posted.uuid()).orElseThrow().leaseUntil()).isNull();
  }

  @Test
  @DisplayName("a conductor's last heartbeat is listed and advances with its heartbeats")
  void conductorLastSeenAdvances() throws Exception {
    // a short lease: heartbeats come a few times per lease
    Jobboard a = track(openBoard(shortLease()));
    Jobboard b = track(openBoard(shortLease()));
    OwnerId me = owner("conductor-hb");
    Instant registered = Instant.now();
    a.register(me, Map.of());
    Instant first = lastSeen(b, me);
    if (!reportsHeartbeats()) {
      assertThat(first).isNull();
      return;
    }
    assertThat(first).isBetween(registered.minusSeconds(1), Instant.now().plusMillis(100));
    Instant later = first;
    long deadline = System.nanoTime() + shortLease().multipliedBy(5).toNanos();
    while (!later.isAfter(first.plusMillis(50)) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      later = lastSeen(b, me);
    }
    assertThat(later).isAfter(first.plusMillis(50)).isBefore(Instant.now().plusMillis(100));
  }

  private static Instant lastSeen(Jobboard board, OwnerId conductor) {
    return board.conductors().stream()
        .filter(c -> c.id().equals(conductor.id()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(conductor.id() + " is not listed"))
        .lastSeen();
  }

  @Test
  @DisplayName("owner ids of same-named conductors differ")
  void ownerIdsAreUnique() {
    assertThat(OwnerId.generate("c").id()).isNotEqualTo(OwnerId.generate("c").id());
  }
}
