package io.taskflow4j.persistence.zookeeper;

import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Field;
import java.util.List;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ModifierSupport;
import org.junit.platform.commons.support.ReflectionSupport;

/**
 * Starts the servers that {@link EmbeddedZooKeeper} asks for: static fields before the class's
 * {@code @BeforeAll} methods, instance fields before its {@code @BeforeEach} methods, test-method
 * parameters when the test is called. Each server is kept in the store of the context it belongs
 * to, so JUnit closes it (and deletes its data) when that context ends, even after a failure.
 */
public final class ZooKeeperExtension
    implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ZooKeeperExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    for (Field field : annotatedFields(context.getRequiredTestClass())) {
      if (ModifierSupport.isStatic(field)) {
        field.setAccessible(true);
        field.set(null, provide(context, field, field.getType()));
      }
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
      for (Field field : annotatedFields(instance.getClass())) {
        if (!ModifierSupport.isStatic(field)) {
          field.setAccessible(true);
          field.set(instance, provide(context, field, field.getType()));
        }
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.isAnnotated(EmbeddedZooKeeper.class);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return provide(context, parameter.getParameter(), parameter.getParameter().getType());
  }

  private static List<Field> annotatedFields(Class<?> type) {
    return ReflectionSupport.findFields(
        type,
        f -> AnnotationSupport.isAnnotated(f, EmbeddedZooKeeper.class),
        HierarchyTraversalMode.TOP_DOWN);
  }

  /** The connect string or the server of {@code context}'s server with the element's tick. */
  private static Object provide(ExtensionContext context, AnnotatedElement element, Class<?> type) {
    if (type != String.class && type != TestingServer.class) {
      throw new ExtensionConfigurationException(
          element + " must be a String (the connect string) or a TestingServer, not " + type);
    }
    int tickMs =
        AnnotationSupport.findAnnotation(element, EmbeddedZooKeeper.class).orElseThrow().tickMs();
    // The key names the context, because a store also answers with its parents' values: a test's
    // own server must not be its class's.
    String key = context.getUniqueId() + " tick=" + tickMs;
    TestingServer server =
        context
            .getStore(NAMESPACE)
            .computeIfAbsent(key, k -> start(element, tickMs), TestingServer.class);
    return type == String.class ? server.getConnectString() : server;
  }

  private static TestingServer start(AnnotatedElement element, int tickMs) {
    try {
      return tickMs > 0 ? ZkTesting.startServer(tickMs) : ZkTesting.startServer();
    } catch (Exception e) {
      throw new ExtensionConfigurationException(
          "could not start an embedded ZooKeeper server for " + element + ": " + e.getMessage(), e);
    }
  }
}
