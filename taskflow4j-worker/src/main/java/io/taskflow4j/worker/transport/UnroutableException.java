package io.taskflow4j.worker.transport;

/** A message was sent to a mailbox that does not exist (its owner stopped or died). */
public class UnroutableException extends TransportException {
  private static final long serialVersionUID = 1L;

  private final String mailbox;

  /** For a message to {@code mailbox}. */
  public UnroutableException(String mailbox) {
    super("no mailbox '" + mailbox + "': its owner has stopped or died");
    this.mailbox = mailbox;
  }

  /** The mailbox that does not exist. */
  public String mailbox() {
    return mailbox;
  }
}
