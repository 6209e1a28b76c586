package io.taskflow4j.persistence.zookeeper;

import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.ServerCnxn;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.apache.zookeeper.server.auth.ProviderRegistry;

/**
 * The server's digest scheme, refusing the credentials of every user named {@code mallory} as a
 * server with an authentication back end (SASL, Kerberos, a custom provider) refuses credentials:
 * ZooKeeper's own digest scheme never does (wrong digest credentials merely match no ACL).
 * Installed in the embedded servers of this JVM by {@link #install()}, until {@link #uninstall()}.
 */
public class RefusingDigestProvider extends DigestAuthenticationProvider {
  /** The user whose credentials the server refuses. */
  public static final String REFUSED_USER = "mallory";

  private static final String PROPERTY = "zookeeper.authProvider.taskflow4jRefusingDigest";

  @Override
  public KeeperException.Code handleAuthentication(ServerCnxn cnxn, byte[] authData) {
    String id = new String(authData, StandardCharsets.UTF_8);
    if (id.startsWith(REFUSED_USER + ":")) {
      return KeeperException.Code.AUTHFAILED;
    }
    try {
      // what the digest scheme does (its method is not called: its overloads name servlet types)
      cnxn.addAuthInfo(new Id(getScheme(), generateDigest(id)));
      return KeeperException.Code.OK;
    } catch (NoSuchAlgorithmException e) {
      return KeeperException.Code.AUTHFAILED;
    }
  }

  /** Replaces the digest scheme of every server of this JVM (a server must have started). */
  static void install() {
    replaceDigestWith(RefusingDigestProvider.class);
  }

  /** Puts ZooKeeper's own digest scheme back. */
  static void uninstall() {
    replaceDigestWith(DigestAuthenticationProvider.class);
  }

  private static void replaceDigestWith(Class<? extends DigestAuthenticationProvider> provider) {
    // The registry reads the class name from a system property; cleared at once, so that no
    // server started later loads it by itself.
    System.setProperty(PROPERTY, provider.getName());
    try {
      ProviderRegistry.addOrUpdateProvider(PROPERTY);
    } finally {
      System.clearProperty(PROPERTY);
    }
  }
}
