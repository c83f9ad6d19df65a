"""After its decision a case moves only along the legal steps: notice, objections, approval."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from notification.domain.case import Case, apply_decision, decide, record
from notification.domain.lifecycle import (
    approve,
    dismiss_objection,
    dismiss_objections,
    open_notice,
    pass_review,
    raise_objection,
    reject_on_review,
    uphold_objection,
)
from notification.errors import (
    CaseError,
    IllegalTransitionError,
    ObjectionLimitError,
    OutsideNoticePeriodError,
    UnknownObjectionError,
)
from notification_testkit import TIMEOUT, at, finding, new_case, verdict
from vouchers_shared.errors import DomainRuleError

STARTS, ENDS = date(2026, 9, 30), date(2026, 10, 12)


def decided(*outcomes: tuple[str, str]) -> Case:
    case = new_case()
    for i, (check, outcome) in enumerate(outcomes):
        held = (finding("ELIG-LOCATION", "review"),) if outcome == "review" else ()
        case = record(case, verdict(check, outcome, f"ev-{i}", findings=held))  # type: ignore[arg-type]
    decision = decide(case, at(600), TIMEOUT)
    assert decision is not None
    return apply_decision(case, decision)


def awaiting() -> Case:
    return decided(("eligibility", "pass"), ("conflict_of_interest", "clear"), ("verification", "verified"))


def held() -> Case:
    return decided(("eligibility", "review"), ("conflict_of_interest", "clear"), ("verification", "verified"))


def in_notice() -> Case:
    return open_notice(awaiting(), notice_id="N-1", starts_on=STARTS, ends_on=ENDS, at=at(700))


def objected(objection_id: str = "O-1") -> Case:
    return raise_objection(in_notice(), objection_id=objection_id, on=date(2026, 10, 8), at=at(800))


def test_a_case_without_objections_is_approved_the_day_after_its_notice_ends() -> None:
    approved = approve(in_notice(), on=date(2026, 10, 13), at=at(900))
    assert approved.status == "approved"
    assert approved.approved_on == date(2026, 10, 13)
    assert approved.decision_id is not None
    assert [c.status for c in approved.timeline] == [
        "checking",
        "awaiting_notice",
        "in_public_notice",
        "approved",
    ]


def test_a_case_is_not_approved_while_its_notice_still_runs() -> None:
    with pytest.raises(OutsideNoticePeriodError, match="2026-10-12"):
        approve(in_notice(), on=ENDS, at=at(900))


def test_a_dismissed_objection_returns_the_case_to_the_notice() -> None:
    case = dismiss_objection(objected(), objection_id="O-1", by="op", note="不成立", at=at(850))
    assert case.status == "in_public_notice"
    assert case.open_objections == ()
    assert approve(case, on=date(2026, 10, 14), at=at(900)).status == "approved"


def test_an_upheld_objection_rejects_the_case_for_good() -> None:
    case, decision = uphold_objection(
        objected(), objection_id="O-1", by="op", note="存在关联关系", at=at(850)
    )
    assert case.status == "rejected"
    assert decision.status == "rejected"
    assert decision.final
    assert decision.decided_by == "op"
    assert "O-1" in decision.reasons[0]
    with pytest.raises(IllegalTransitionError):
        approve(case, on=date(2026, 10, 14), at=at(900))


def test_with_two_objections_open_dismissing_one_keeps_the_case_held() -> None:
    case = raise_objection(objected("O-1"), objection_id="O-2", on=ENDS, at=at(810))
    case = dismiss_objection(case, objection_id="O-1", by="op", note=None, at=at(850))
    assert case.status == "objection_raised"
    assert case.open_objections == ("O-2",)


def test_the_same_objection_filed_twice_changes_nothing() -> None:
    case = objected("O-1")
    assert raise_objection(case, objection_id="O-1", on=date(2026, 10, 9), at=at(820)) is case


def test_an_objection_after_the_notice_ended_is_refused() -> None:
    with pytest.raises(OutsideNoticePeriodError, match="2026-10-13"):
        raise_objection(in_notice(), objection_id="O-1", on=date(2026, 10, 13), at=at(900))


def test_resolving_an_objection_that_is_not_open_is_refused() -> None:
    with pytest.raises(UnknownObjectionError, match="O-9"):
        dismiss_objection(objected(), objection_id="O-9", by="op", note=None, at=at(850))


def test_an_operator_pass_holds_the_case_until_its_voucher_is_reserved() -> None:
    case, review = pass_review(held(), by="op-1", note="地址已核实", at=at(700))
    assert case.status == "needs_review"
    assert case.review_pass == review
    assert review.by == "op-1"
    assert review.note == "地址已核实"
    assert case.timeline[-1].by == "op-1"
    assert decide(case, at(701), TIMEOUT) is None  # nothing moves before eligibility answers


def with_objections(count: int, most_open: int | None = None) -> Case:
    case = in_notice()
    for n in range(1, count + 1):
        case = raise_objection(case, objection_id=f"O-{n}", on=ENDS, at=at(800 + n), most_open=most_open)
    return case


def test_past_the_most_open_objections_another_is_refused_until_one_is_resolved() -> None:
    case = with_objections(3, most_open=3)
    with pytest.raises(ObjectionLimitError, match="already holds 3 open objections"):
        raise_objection(case, objection_id="O-4", on=ENDS, at=at(900), most_open=3)
    assert raise_objection(case, objection_id="O-2", on=ENDS, at=at(900), most_open=3) is case  # filed before
    case = dismiss_objection(case, objection_id="O-1", by="op", note=None, at=at(910))
    case = raise_objection(case, objection_id="O-4", on=ENDS, at=at(920), most_open=3)
    assert case.open_objections == ("O-2", "O-3", "O-4")


def test_dismissing_several_at_once_is_one_step_naming_each() -> None:
    before = with_objections(3)
    case = dismiss_objections(
        before, objection_ids=["O-1", "O-3", "O-1"], by="op", note="均不成立", at=at(900)
    )
    assert case.open_objections == ("O-2",)
    assert case.status == "objection_raised"
    assert len(case.timeline) == len(before.timeline) + 1
    step = case.timeline[-1]
    assert (step.by, step.note, step.reasons) == ("op", "均不成立", ("异议 O-1 不成立", "异议 O-3 不成立"))
    last = dismiss_objections(case, objection_ids=["O-2"], by="op", note=None, at=at(910))
    assert (last.status, last.open_objections) == ("in_public_notice", ())


def test_a_dismissal_naming_one_objection_not_open_changes_nothing() -> None:
    with pytest.raises(UnknownObjectionError, match="O-7, O-9"):
        dismiss_objections(
            with_objections(2), objection_ids=["O-1", "O-7", "O-9"], by="op", note=None, at=at(900)
        )


def test_an_operator_reject_lists_the_findings_held_for_review() -> None:
    case, decision = reject_on_review(held(), by="op-1", note="注册地不在深圳", at=at(700))
    assert case.status == "rejected"
    assert [f.rule for f in decision.failed_rules] == ["ELIG-LOCATION"]
    assert decision.reasons == ("经人工复核不予通过：注册地不在深圳",)


Step = Callable[[Case], Any]
ILLEGAL: list[tuple[str, Callable[[], Case], Step]] = [
    (
        "approve before any notice",
        awaiting,
        lambda c: approve(c, on=date(2026, 12, 1), at=at(900)),
    ),
    (
        "open a notice for a held case",
        held,
        lambda c: open_notice(c, notice_id="N", starts_on=STARTS, ends_on=ENDS, at=at(9)),
    ),
    ("pass review of a case not held", awaiting, lambda c: pass_review(c, by="o", note=None, at=at(9))),
    (
        "object before the notice opens",
        awaiting,
        lambda c: raise_objection(c, objection_id="O", on=STARTS, at=at(9)),
    ),
    (
        "approve a case under objection",
        objected,
        lambda c: approve(c, on=date(2026, 12, 1), at=at(900)),
    ),
    (
        "uphold an objection on a case in notice",
        in_notice,
        lambda c: uphold_objection(c, objection_id="O-1", by="o", note=None, at=at(9)),
    ),
    (
        "decide a case twice",
        awaiting,
        lambda c: apply_decision(c, decide(new_case(), at(600), TIMEOUT)),  # type: ignore[arg-type]
    ),
    (
        "reopen a rejected case for review",
        lambda: reject_on_review(held(), by="o", note=None, at=at(9))[0],
        lambda c: pass_review(c, by="o", note=None, at=at(10)),
    ),
    (
        "object to an approved case",
        lambda: approve(in_notice(), on=date(2026, 10, 13), at=at(900)),
        lambda c: raise_objection(c, objection_id="O", on=ENDS, at=at(901)),
    ),
]


@pytest.mark.parametrize(("name", "make", "step"), ILLEGAL, ids=[i[0] for i in ILLEGAL])
def test_illegal_transitions_are_refused_naming_the_status(
    name: str, make: Callable[[], Case], step: Step
) -> None:
    case = make()
    with pytest.raises(IllegalTransitionError) as caught:
        step(case)
    assert caught.value.status == case.status
    assert case.status in str(caught.value)
    assert isinstance(caught.value, CaseError)
    assert isinstance(caught.value, DomainRuleError)
