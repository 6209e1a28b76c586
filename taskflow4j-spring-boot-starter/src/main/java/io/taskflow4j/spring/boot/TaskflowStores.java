package io.taskflow4j.spring.boot;

import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.jdbc.JdbcBackends;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import javax.sql.DataSource;

/** Opens the backend and the board the {@code taskflow4j.*} properties describe. */
final class TaskflowStores {
  private TaskflowStores() {}

  /** The backend of {@code taskflow4j.connection}, its schema made or migrated if so configured. */
  static Backend backend(TaskflowProperties props, Supplier<DataSource> dataSource) {
    String connection = props.getConnection();
    Backend backend;
    if (TaskflowProperties.isDataSource(connection)) {
      backend = JdbcBackends.backend(require(dataSource, "taskflow4j.connection"), options(props));
    } else {
      Map<String, Object> conf = conf(connection, props);
      if (props.isInitializeSchema()) {
        return Backends.open(conf);
      }
      return Backends.fetch(conf);
    }
    if (props.isInitializeSchema()) {
      try (Connection c = backend.getConnection()) {
        c.upgrade();
      } catch (RuntimeException | Error e) {
        backend.close();
        throw e;
      }
    }
    return backend;
  }

  /** The board of {@code taskflow4j.board} (default: the connection's), with the lease set. */
  static Jobboard board(TaskflowProperties props, Supplier<DataSource> dataSource) {
    String where = props.getBoard() != null ? props.getBoard() : props.getConnection();
    Map<String, Object> options = options(props);
    Duration lease = props.getConductor().getLease();
    if (lease != null) {
      options.put(Jobboards.LEASE, lease.toString());
    }
    if (TaskflowProperties.isDataSource(where)) {
      String property = props.getBoard() != null ? "taskflow4j.board" : "taskflow4j.connection";
      return JdbcBackends.jobboard(require(dataSource, property), options);
    }
    Map<String, Object> conf = conf(where, props);
    conf.putAll(options);
    return Jobboards.open(conf);
  }

  private static Map<String, Object> conf(String connection, TaskflowProperties props) {
    Map<String, Object> conf = new LinkedHashMap<>(BackendConf.parse(connection).asMap());
    conf.putAll(props.getOptions());
    return conf;
  }

  private static Map<String, Object> options(TaskflowProperties props) {
    return new LinkedHashMap<>(props.getOptions());
  }

  private static DataSource require(Supplier<DataSource> dataSource, String property) {
    DataSource ds = dataSource.get();
    if (ds == null) {
      throw new InvalidConfigurationException(
          property
              + "=datasource needs the application's DataSource bean, and there is none (add"
              + " spring-boot-starter-jdbc and set spring.datasource.url, or give a connection"
              + " string such as postgresql://user@host/db)");
    }
    return ds;
  }
}
