package io.taskflow4j.persistence.jdbc;

import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Field;
import java.lang.reflect.Parameter;
import java.util.Optional;
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
 * Makes the databases that {@link PostgresDatabase} and {@link MariaDbDatabase} ask for: static
 * fields before the class's {@code @BeforeAll} methods, instance fields before its
 * {@code @BeforeEach} methods, test-method parameters when the test is called. Each database is
 * registered in the store of the context it belongs to, so JUnit drops it when that context ends,
 * even if the test or a later callback failed.
 *
 * <p>The server is probed before a database is made ({@link FreshDatabases#create()}): outside CI a
 * missing server skips the test, in CI it fails it ({@link TestDatabases#requirePostgres()}). A
 * {@code String} test-method parameter is probed already in {@code beforeEach}, because an abort
 * thrown while JUnit resolves a parameter would be reported as a failure rather than a skip.
 */
public final class DatabaseExtension
    implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(DatabaseExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Class<?> testClass = context.getRequiredTestClass();
    for (Field field : annotatedFields(testClass)) {
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
    for (Parameter p : context.getRequiredTestMethod().getParameters()) {
      if (p.getType() == String.class) {
        server(p).ifPresent(FreshDatabases.Server::require);
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return server(parameter.getParameter()).isPresent();
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    try {
      return provide(context, parameter.getParameter(), parameter.getParameter().getType());
    } catch (java.sql.SQLException e) {
      throw new ExtensionConfigurationException(
          "could not create a database for " + parameter.getParameter() + ": " + e.getMessage(), e);
    }
  }

  private static java.util.List<Field> annotatedFields(Class<?> type) {
    return ReflectionSupport.findFields(
        type, f -> server(f).isPresent(), HierarchyTraversalMode.TOP_DOWN);
  }

  private static Optional<FreshDatabases.Server> server(AnnotatedElement element) {
    boolean postgres = AnnotationSupport.isAnnotated(element, PostgresDatabase.class);
    boolean mariadb = AnnotationSupport.isAnnotated(element, MariaDbDatabase.class);
    if (postgres && mariadb) {
      throw new ExtensionConfigurationException(
          element + " asks for both a PostgreSQL and a MariaDB database: choose one");
    }
    if (postgres) {
      return Optional.of(FreshDatabases.Server.POSTGRES);
    }
    return mariadb ? Optional.of(FreshDatabases.Server.MARIADB) : Optional.empty();
  }

  /** A database name or a {@link FreshDatabases}, dropped when {@code context} closes. */
  private static Object provide(ExtensionContext context, AnnotatedElement element, Class<?> type)
      throws java.sql.SQLException {
    if (type != String.class && type != FreshDatabases.class) {
      throw new ExtensionConfigurationException(
          element + " must be a String (the database's name) or a FreshDatabases, not " + type);
    }
    FreshDatabases databases = new FreshDatabases(server(element).orElseThrow());
    // Registered before anything is made, so that a half-done set-up is cleaned up too.
    context.getStore(NAMESPACE).put(databases, databases);
    return type == String.class ? databases.create() : databases;
  }
}
