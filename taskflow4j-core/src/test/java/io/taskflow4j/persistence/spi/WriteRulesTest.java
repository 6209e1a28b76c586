package io.taskflow4j.persistence.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.ConflictException;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.RetryDetail;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.spi.WriteRules.Kind;
import io.taskflow4j.persistence.spi.WriteRules.Stored;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WriteRulesTest {

  @Test
  void aRevisionOfZeroWritesWhateverIsStoredAndAnyOtherMustMatch() {
    assertThatCode(() -> WriteRules.checkRevision(Kind.ATOM, "a", 0, 7)).doesNotThrowAnyException();
    assertThatCode(() -> WriteRules.checkRevision(Kind.ATOM, "a", 7, 7)).doesNotThrowAnyException();
    assertThatThrownBy(() -> WriteRules.checkRevision(Kind.FLOW, "f", 6, 7))
        .isInstanceOf(ConflictException.class)
        .hasMessage(
            "Flow detail 'f' was changed by another writer (stored revision 7, this write was"
                + " based on revision 6); reload it and try again");
  }

  @Test
  void aConflictCanNameItsRecordAsTheBackendDoes() {
    assertThatThrownBy(() -> WriteRules.checkRevision("atom detail 'x' (a)", 1, 2))
        .isInstanceOf(ConflictException.class)
        .hasMessageStartingWith("Atom detail 'x' (a) was changed by another writer");
  }

  @Test
  void theNextRevisionIsOneForANewRecordAndOneMoreThanTheStoredOtherwise() {
    assertThat(WriteRules.nextRevision(null)).isEqualTo(1);
    assertThat(WriteRules.nextRevision(new Stored("f", 4, null))).isEqualTo(5);
  }

  @Test
  void aRecordOfAnotherParentIsADuplicateNamingItsOwnerWhenKnown() {
    assertThatCode(() -> WriteRules.checkOwner(Kind.ATOM, "a", "f", "f"))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> WriteRules.checkOwner(Kind.ATOM, "a", "g", "f"))
        .isInstanceOf(DuplicateException.class)
        .hasMessage("Atom detail 'a' already belongs to flow detail 'g', not to 'f'");
    assertThatThrownBy(() -> WriteRules.checkOwner(Kind.FLOW, "f", null, "b"))
        .isInstanceOf(DuplicateException.class)
        .hasMessage("Flow detail 'f' already belongs to another logbook, not to 'b'");
  }

  @Test
  void anAtomCannotChangeBetweenTaskAndRetryButAnUnknownStoredTypeIsNotChecked() {
    assertThatCode(() -> WriteRules.checkType("a", null, AtomDetail.RETRY_DETAIL))
        .doesNotThrowAnyException();
    assertThatThrownBy(
            () -> WriteRules.checkType("a", AtomDetail.RETRY_DETAIL, AtomDetail.TASK_DETAIL))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(
            "Atom detail 'a' is stored as a RETRY_DETAIL and cannot be replaced by a TASK_DETAIL");
  }

  @Test
  void aBookIsCheckedFlowByFlowOwnerBeforeTypeBeforeRevision() {
    TaskDetail t = TaskDetail.of("t", "a", null, 3);
    FlowDetail fd = FlowDetail.of("f", "f").withAtom(t).withRevision(2);
    LogBook book = LogBook.of("b", "b", Instant.EPOCH, null, Map.of(), List.of(fd));
    Map<String, Stored> flows = Map.of("f", new Stored("b", 2, null));

    assertThatCode(
            () ->
                WriteRules.checkBook(
                    book, flows::get, Map.of("a", new Stored("f", 3, "TASK_DETAIL"))::get))
        .doesNotThrowAnyException();
    // owner and type are both wrong: the owner is reported
    assertThatThrownBy(
            () ->
                WriteRules.checkBook(
                    book, flows::get, Map.of("a", new Stored("g", 9, "RETRY_DETAIL"))::get))
        .hasMessageContaining("already belongs to flow detail 'g'");
    assertThatThrownBy(
            () ->
                WriteRules.checkBook(
                    book, flows::get, Map.of("a", new Stored("f", 9, "RETRY_DETAIL"))::get))
        .hasMessageContaining("is stored as a RETRY_DETAIL");
    assertThatThrownBy(
            () ->
                WriteRules.checkBook(
                    book, flows::get, Map.of("a", new Stored("f", 9, "TASK_DETAIL"))::get))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("stored revision 9");
    assertThatThrownBy(
            () ->
                WriteRules.checkBook(
                    book,
                    Map.of("f", new Stored("c", 2, null))::get,
                    Map.<String, Stored>of()::get))
        .hasMessage("Flow detail 'f' already belongs to logbook 'c', not to 'b'");
  }

  @Test
  void anUpdateOfAFlowDoesNotCheckItsOwnerButChecksItsAtoms() {
    FlowDetail fd = FlowDetail.of("f", "f").withAtom(RetryDetail.of("r", "a"));
    assertThatCode(() -> WriteRules.checkFlow(fd, null, new Stored("x", 1, null), uuid -> null))
        .doesNotThrowAnyException();
    assertThatThrownBy(
            () -> WriteRules.checkFlow(fd, null, null, uuid -> new Stored("g", 1, "RETRY_DETAIL")))
        .isInstanceOf(DuplicateException.class);
  }

  @Test
  void anAtomCarriedByTwoFlowsOfABookIsADuplicate() {
    TaskDetail t = TaskDetail.of("t", "a");
    LogBook ok =
        LogBook.of(
            "b", "b", Instant.EPOCH, null, Map.of(), List.of(FlowDetail.of("f", "f").withAtom(t)));
    assertThat(WriteRules.atomOwners(ok)).isEqualTo(Map.of("a", "f"));
    LogBook twice =
        ok.withFlows(
            List.of(FlowDetail.of("f", "f").withAtom(t), FlowDetail.of("g", "g").withAtom(t)));
    assertThatThrownBy(() -> WriteRules.atomOwners(twice))
        .isInstanceOf(DuplicateException.class)
        .hasMessage(
            "Atom detail 'a' is carried by two flow details of logbook 'b' ('f' and 'g'); an"
                + " atom detail belongs to one flow detail");
  }

  @Test
  void aSavedBookKeepsTheStoredCreationTime() {
    Instant given = Instant.parse("2024-01-01T00:00:00Z");
    Instant stored = Instant.parse("2020-01-01T00:00:00Z");
    LogBook book = LogBook.of("b", "n", given, null, Map.of("k", 1), List.of());
    assertThat(WriteRules.savedBook(book, stored, List.of()).createdAt()).isEqualTo(stored);
    assertThat(WriteRules.savedBook(book, null, List.of())).isEqualTo(book);
  }
}
