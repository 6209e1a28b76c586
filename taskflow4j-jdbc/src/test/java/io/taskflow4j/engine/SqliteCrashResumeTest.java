package io.taskflow4j.engine;

import java.nio.file.Path;

/**
 * {@link CrashResumeTest} over a SQLite file: the child process runs the 200-task chain on {@code
 * sqlite:////<abs>/store.db}, is killed hard mid-run, and a new engine resumes from the factory
 * recorded in the flow detail, without running again any task stored as SUCCESS.
 */
class SqliteCrashResumeTest extends CrashResumeTest {
  @Override
  protected String storeUrl(Path store) {
    // The default durability (power): each write is on disk before the next task starts, so the
    // log of executions never gets ahead of the store by more than the task in flight.
    return "sqlite:///" + store.toAbsolutePath() + ".db";
  }
}
