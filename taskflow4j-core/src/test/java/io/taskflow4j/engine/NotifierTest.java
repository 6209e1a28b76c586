package io.taskflow4j.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.engine.Notifier.Registration;
import io.taskflow4j.persistence.AtomState;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class NotifierTest {
  private final Notifier<AtomState, String> notifier = new Notifier<>(AtomState.class);
  private final List<String> heard = new ArrayList<>();

  private Consumer<String> hear(String who) {
    return e -> heard.add(who + ":" + e);
  }

  @Test
  void anyStateListenersFirstThenTheStatesOwnEachInRegistrationOrder() {
    notifier.register(AtomState.SUCCESS, hear("s1"));
    notifier.registerAny(hear("a1"));
    notifier.register(AtomState.SUCCESS, hear("s2"));
    notifier.registerAny(hear("a2"));
    notifier.register(AtomState.FAILURE, hear("f"));

    notifier.emit(AtomState.SUCCESS, "x");
    notifier.emit(AtomState.RUNNING, "y");

    assertThat(heard).containsExactly("a1:x", "a2:x", "s1:x", "s2:x", "a1:y", "a2:y");
  }

  @Test
  void saysWhetherAnEventOfAStateWouldReachAnyone() {
    assertThat(notifier.isEmpty()).isTrue();
    assertThat(notifier.listensTo(AtomState.SUCCESS)).isFalse();
    Registration s = notifier.register(AtomState.SUCCESS, hear("s"));
    assertThat(notifier.listensTo(AtomState.SUCCESS)).isTrue();
    assertThat(notifier.listensTo(AtomState.RUNNING)).isFalse(); // the engine builds no event
    Registration a = notifier.registerAny(hear("a"));
    assertThat(notifier.listensTo(AtomState.RUNNING)).isTrue();
    a.close();
    assertThat(notifier.listensTo(AtomState.RUNNING)).isFalse();
    s.close();
    assertThat(notifier.isEmpty()).isTrue();
    assertThat(notifier.listensTo(AtomState.SUCCESS)).isFalse();
  }

  @Test
  void closingRemovesOneRegistrationOnceEvenOfTheSameListenerRegisteredTwice() {
    Consumer<String> l = hear("l");
    Registration first = notifier.registerAny(l);
    notifier.registerAny(l);
    first.close();
    first.close(); // idempotent: must not remove the second registration

    notifier.emit(AtomState.SUCCESS, "x");

    assertThat(heard).containsExactly("l:x");
    assertThat(notifier.isEmpty()).isFalse();
  }

  @Test
  void aListenerThatThrowsDoesNotKeepTheOthersFromHearing() {
    notifier.registerAny(
        e -> {
          throw new IllegalStateException("broken listener");
        });
    notifier.registerAny(hear("b"));

    notifier.emit(AtomState.SUCCESS, "x");

    assertThat(heard).containsExactly("b:x");
  }
}
