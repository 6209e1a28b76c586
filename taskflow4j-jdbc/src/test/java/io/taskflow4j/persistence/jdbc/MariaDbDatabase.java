package io.taskflow4j.persistence.jdbc;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A fresh MariaDB database ({@code tf4j_<random>} on {@link TestDatabases#MARIADB_HOST}) for a
 * test, dropped after it. On a {@code static} field it lives for the class, on an instance field or
 * a test-method parameter for one test. The element is a {@code String} (the database's name) or a
 * {@link FreshDatabases} (makes as many as the test asks, the first of them probing the server).
 * Without a server the tests are skipped outside CI and fail in CI, as {@link
 * TestDatabases#requireMariaDb()} decides.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.PARAMETER})
@ExtendWith(DatabaseExtension.class)
public @interface MariaDbDatabase {}
