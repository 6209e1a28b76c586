/**
 * Ready-made retry controllers (TaskFlow's {@code taskflow.retry}): {@link
 * io.taskflow4j.retry.Times}, {@link io.taskflow4j.retry.ForEach}, {@link
 * io.taskflow4j.retry.ParameterizedForEach}, {@link io.taskflow4j.retry.AlwaysRevert} and {@link
 * io.taskflow4j.retry.AlwaysRevertAll}.
 *
 * <p>Write your own by extending {@link io.taskflow4j.Retry}: {@code execute(args, history)}
 * returns the value of the next attempt (published per {@code provides}), {@code
 * onFailure(history)} (or {@code onFailure(args, history)} when the decision needs the retry's
 * arguments) answers {@code RETRY}, {@code REVERT} or {@code REVERT_ALL}, and {@code revert} may
 * undo what {@code execute} did:
 *
 * <pre>{@code
 * final class UntilTimeout extends Retry {
 *   UntilTimeout() {
 *     super("until-timeout");
 *     provides("attempt");
 *   }
 *   public Object execute(Arguments args, RetryHistory history) {
 *     return history.size() + 1;
 *   }
 *   public Decision onFailure(RetryHistory history) {
 *     // Give up at once on a bad request; otherwise retry for at most five attempts.
 *     if (history.isCausedBy(IllegalArgumentException.class, -1, false)) {
 *       return Decision.REVERT;
 *     }
 *     return history.size() < 5 ? Decision.RETRY : Decision.REVERT;
 *   }
 * }
 * }</pre>
 *
 * <p>The history a retry sees is persisted with it: a resumed run (another engine, another process)
 * sees every attempt made before, with its value, its failures by atom name and, beyond TaskFlow,
 * when it started and ended and a one-line summary ({@link
 * io.taskflow4j.storage.RetryHistory#attemptInfo}). A retry that reverts forgets its history.
 */
package io.taskflow4j.retry;
