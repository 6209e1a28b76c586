package io.taskflow4j.bench.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobParametersBuilder;
import org.springframework.batch.core.Step;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.builder.SimpleJobBuilder;
import org.springframework.batch.core.launch.support.TaskExecutorJobLauncher;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.repository.support.JobRepositoryFactoryBean;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.item.ExecutionContext;
import org.springframework.batch.repeat.RepeatStatus;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/**
 * Spring Batch's side of the comparison, run in its own JVM: one job of N sequential tasklet steps;
 * step {@code i} adds one to {@code "v"} in the job's execution context. The job repository is
 * Spring Batch's JDBC one with its defaults ({@code JobRepositoryFactoryBean}, a {@code
 * DataSourceTransactionManager}, the synchronous {@code TaskExecutorJobLauncher}) over a HikariCP
 * pool; the schema is Spring Batch's own script for the database. No Spring context is started.
 *
 * <p>Usage: {@code SpringBatchChain --db sqlite|h2|postgresql --url JDBC_URL [--user U] [--n N]
 * [--warmup W] [--runs R]}. After W untimed launches, R timed launches (each a new job instance);
 * each is checked ({@code COMPLETED}, {@code v == N}) outside the timed region. Prints one JSON
 * object {@code {"run_s": [...], "spring_batch": "5.2.6"}} on standard output.
 */
public final class SpringBatchChain {
  private SpringBatchChain() {}

  /** Runs the launches described by {@code args} and prints their times. */
  public static void main(String[] args) throws Exception {
    Map<String, String> opt = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String db = opt.getOrDefault("db", "sqlite");
    String url = opt.get("url");
    if (url == null) {
      throw new IllegalArgumentException("--url JDBC_URL is required");
    }
    int n = Integer.parseInt(opt.getOrDefault("n", "100"));
    int warmup = Integer.parseInt(opt.getOrDefault("warmup", "1"));
    int runs = Integer.parseInt(opt.getOrDefault("runs", "1"));

    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    if (opt.containsKey("user")) {
      hc.setUsername(opt.get("user"));
    }
    try (HikariDataSource ds = new HikariDataSource(hc)) {
      String schema =
          switch (db) {
            case "sqlite" -> "schema-sqlite.sql";
            case "h2" -> "schema-h2.sql";
            case "postgresql" -> "schema-postgresql.sql";
            default -> throw new IllegalArgumentException("unknown --db " + db);
          };
      new ResourceDatabasePopulator(
              new ClassPathResource("org/springframework/batch/core/" + schema))
          .execute(ds);
      DataSourceTransactionManager tm = new DataSourceTransactionManager(ds);
      JobRepositoryFactoryBean factory = new JobRepositoryFactoryBean();
      factory.setDataSource(ds);
      factory.setTransactionManager(tm);
      factory.afterPropertiesSet();
      JobRepository repo = factory.getObject();
      TaskExecutorJobLauncher launcher = new TaskExecutorJobLauncher();
      launcher.setJobRepository(repo);
      launcher.afterPropertiesSet();

      Job job = chain(n, repo, tm);
      List<Double> times = new ArrayList<>();
      for (int i = 0; i < warmup + runs; i++) {
        long t0 = System.nanoTime();
        JobExecution ex =
            launcher.run(
                job, new JobParametersBuilder().addLong("run", (long) i).toJobParameters());
        double s = (System.nanoTime() - t0) / 1e9;
        int v = ex.getExecutionContext().getInt("v", -1);
        if (ex.getStatus() != BatchStatus.COMPLETED || v != n) {
          throw new IllegalStateException("the job ended " + ex.getStatus() + " with v = " + v);
        }
        if (i >= warmup) {
          times.add(s);
        }
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("run_s", times);
      out.put("spring_batch", Job.class.getPackage().getImplementationVersion());
      System.out.println(new ObjectMapper().writeValueAsString(out));
    }
  }

  /** The job: N tasklet steps, each adding one to the job context's {@code v}. */
  static Job chain(int n, JobRepository repo, DataSourceTransactionManager tm) {
    SimpleJobBuilder jb = null;
    for (int i = 1; i <= n; i++) {
      Step step =
          new StepBuilder("s" + i, repo)
              .tasklet(
                  (contribution, chunk) -> {
                    ExecutionContext jc =
                        chunk
                            .getStepContext()
                            .getStepExecution()
                            .getJobExecution()
                            .getExecutionContext();
                    jc.putInt("v", jc.getInt("v", 0) + 1);
                    return RepeatStatus.FINISHED;
                  },
                  tm)
              .build();
      jb = jb == null ? new JobBuilder("chain", repo).start(step) : jb.next(step);
    }
    return jb.build();
  }
}
