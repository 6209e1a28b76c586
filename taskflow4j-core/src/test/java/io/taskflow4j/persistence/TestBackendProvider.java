package io.taskflow4j.persistence;

import io.taskflow4j.persistence.spi.BackendProvider;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A backend provider for tests of {@link Backends}, registered through this module's test {@code
 * META-INF/services}. Schemes: {@code testok} (upgrades fine), {@code testfail} (upgrade throws a
 * {@link StorageException}), {@code testcrash} (upgrade throws a raw runtime exception), {@code
 * testboom} ({@code create} throws a raw runtime exception) and {@code TestMixed} (declared in
 * mixed case, served as {@code testmixed}).
 */
public final class TestBackendProvider implements BackendProvider {
  /** Every backend made, so tests can see whether it was closed. */
  static final List<TestBackend> CREATED = new CopyOnWriteArrayList<>();

  @Override
  public Set<String> schemes() {
    return Set.of("testok", "testfail", "testcrash", "testboom", "TestMixed");
  }

  @Override
  public Backend create(BackendConf conf) {
    if (conf.backendName().equals("testboom")) {
      throw new IllegalStateException("boom while creating");
    }
    TestBackend b = new TestBackend(conf);
    CREATED.add(b);
    return b;
  }

  /** The most recent backend made for this connection string. */
  static TestBackend last(String connection) {
    for (int i = CREATED.size() - 1; i >= 0; i--) {
      if (CREATED.get(i).conf().connection().equals(connection)) {
        return CREATED.get(i);
      }
    }
    throw new AssertionError("no backend was created for " + connection);
  }

  /** A backend whose connections only support upgrade and close. */
  static final class TestBackend implements Backend {
    private final BackendConf conf;
    volatile boolean closed;
    volatile int upgrades;

    TestBackend(BackendConf conf) {
      this.conf = conf;
    }

    @Override
    public BackendConf conf() {
      return conf;
    }

    @Override
    public Connection getConnection() {
      return new TestConnection(this);
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private static final class TestConnection implements Connection {
    private final TestBackend backend;

    TestConnection(TestBackend backend) {
      this.backend = backend;
    }

    @Override
    public Backend backend() {
      return backend;
    }

    @Override
    public void upgrade() {
      backend.upgrades++;
      switch (backend.conf().backendName()) {
        case "testfail":
          throw new StorageException("upgrade failed on purpose");
        case "testcrash":
          // a driver that echoes what it was given, password included: the URL and its
          // properties (a password alone in prose cannot be told from other words, see
          // BackendConf.maskText)
          throw new IllegalStateException(
              "raw crash during upgrade of "
                  + backend.conf().connection()
                  + " {user=u, password="
                  + backend.conf().getString("password").orElse("")
                  + "}");
        default:
          break;
      }
    }

    @Override
    public void validate() {}

    @Override
    public void clearAll() {
      throw new UnsupportedOperationException();
    }

    @Override
    public LogBook saveLogBook(LogBook book) {
      throw new UnsupportedOperationException();
    }

    @Override
    public FlowDetail updateFlowDetails(FlowDetail flowDetail) {
      throw new UnsupportedOperationException();
    }

    @Override
    public AtomDetail updateAtomDetails(AtomDetail atomDetail) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void destroyLogBook(String bookUuid) {
      throw new UnsupportedOperationException();
    }

    @Override
    public LogBook getLogBook(String bookUuid, boolean lazy) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<LogBook> getLogBooks(boolean lazy) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<FlowDetail> getFlowsForBook(String bookUuid) {
      throw new UnsupportedOperationException();
    }

    @Override
    public FlowDetail getFlowDetails(String flowUuid, boolean lazy) {
      throw new UnsupportedOperationException();
    }

    @Override
    public AtomDetail getAtomDetails(String atomUuid) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<AtomDetail> getAtomsForFlow(String flowUuid) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }
}
