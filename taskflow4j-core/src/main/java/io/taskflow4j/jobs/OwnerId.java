package io.taskflow4j.jobs;

import io.taskflow4j.internal.HostIdentity;
import java.util.Objects;
import java.util.UUID;

/**
 * Who holds a claim: a conductor's name plus where it runs and a random incarnation, so that two
 * conductors given the same name, or a conductor and its own restarted process, are never mistaken
 * for one another (TaskFlow compares bare names).
 *
 * @param name the conductor's name
 * @param id the full identity, {@code name@host:pid/incarnation}; what boards store as owner
 */
public record OwnerId(String name, String id) {
  /** Checks the fields. */
  public OwnerId {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(id, "id");
    if (name.isBlank() || id.length() > 200) {
      throw new IllegalArgumentException(
          "owner name must be non-blank and the id at most 200 characters: " + id);
    }
  }

  /** A new identity for a conductor called {@code name} in this process. */
  public static OwnerId generate(String name) {
    Objects.requireNonNull(name, "name");
    String host = hostName();
    long pid = pid();
    String incarnation = UUID.randomUUID().toString().substring(0, 8);
    String n = name.length() > 80 ? name.substring(0, 80) : name;
    return new OwnerId(name, n + "@" + host + ":" + pid + "/" + incarnation);
  }

  /** The host name of this process, for registrations. */
  public static String hostName() {
    return HostIdentity.hostName();
  }

  /** The pid of this process. */
  public static long pid() {
    return HostIdentity.pid();
  }

  @Override
  public String toString() {
    return id;
  }
}
