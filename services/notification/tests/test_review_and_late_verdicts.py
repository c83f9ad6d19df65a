"""A passed review waits for its reservation; a failing verdict that arrives late still rejects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from notification.domain.case import Case, apply_decision, decide, record
from notification.domain.lifecycle import (
    approve,
    open_notice,
    pass_review,
    raise_objection,
    reject_on_review,
)
from notification.errors import ReviewSettlingError
from notification_testkit import OPENED, TIMEOUT, at, finding, new_case, verdict

STARTS, ENDS = date(2026, 9, 30), date(2026, 10, 12)
CAP_FAILED = finding("AMT-ANNUAL-CAP", "fail")


def settle(case: Case, minutes: int) -> Case:
    decision = decide(case, at(minutes), TIMEOUT)
    assert decision is not None
    return apply_decision(case, decision)


def held_for_self_filing() -> Case:
    """Eligibility proposes a voucher but holds the case (filed from another account)."""
    case = new_case()
    for v in (
        verdict("eligibility", "review", "e-1", findings=(finding("ELIG-SELF-FILED", "review"),)),
        verdict("conflict_of_interest", "clear", "c-1"),
        verdict("verification", "verified", "v-1"),
    ):
        case = record(case, v)
    return settle(case, 30)


def timed_out_waiting_for_verification() -> Case:
    case = new_case()
    for v in (
        verdict("eligibility", "pass", "e-1"),
        verdict("conflict_of_interest", "clear", "c-1"),
        verdict("verification", "pending", "v-0"),
    ):
        case = record(case, v)
    case = settle(case, int(TIMEOUT.total_seconds() // 60))
    assert case.status == "needs_review"
    return case


def passed(case: Case) -> Case:
    case, _ = pass_review(case, by="op-1", note="核实无误", at=at(700))
    return case


def reserved(case: Case, total: str, minutes: int = 710) -> Case:
    assert case.review_pass is not None
    return record(
        case,
        verdict(
            "eligibility",
            "pass",
            f"e-settled-{total}",
            minutes=minutes,
            settles_review=case.review_pass.review_id,
            total=total,
        ),
    )


# --- a passed review goes on only once eligibility has reserved the voucher -----------------


def test_a_reserved_review_goes_to_the_notice_under_the_operators_name() -> None:
    case = reserved(passed(held_for_self_filing()), "2000000.00")
    decision = decide(case, at(711), TIMEOUT)
    assert decision is not None
    assert decision.status == "awaiting_notice"
    assert decision.decided_by == "op-1"
    moved = apply_decision(case, decision)
    assert moved.status == "awaiting_notice"
    assert moved.voucher is not None
    assert moved.voucher.total_cny == Decimal("2000000.00")  # the amount reserved, not the proposal


def test_the_settled_decision_and_the_passed_review_are_events_of_their_own() -> None:
    # Both travel on the decisions topic, whose readers drop an event id seen before.
    case = reserved(passed(held_for_self_filing()), "720000.00")
    decision = decide(case, at(711), TIMEOUT)
    assert decision is not None
    assert case.review_pass is not None
    assert decision.decision_id != case.review_pass.review_id


def test_a_review_answered_with_no_room_left_is_rejected_with_the_cap_rule() -> None:
    case = passed(held_for_self_filing())
    assert case.review_pass is not None
    case = record(
        case,
        verdict(
            "eligibility",
            "fail",
            "e-settled",
            minutes=710,
            findings=(CAP_FAILED,),
            settles_review=case.review_pass.review_id,
        ),
    )
    decision = decide(case, at(711), TIMEOUT)
    assert decision is not None
    assert decision.status == "rejected"
    assert decision.final
    assert [f.rule for f in decision.failed_rules] == ["AMT-ANNUAL-CAP"]


def test_an_eligibility_verdict_that_answers_another_review_moves_nothing() -> None:
    case = passed(held_for_self_filing())
    case = record(case, verdict("eligibility", "pass", "e-other", minutes=710, settles_review="dec-other"))
    assert decide(case, at(711), TIMEOUT) is None


def test_a_review_cannot_be_passed_twice_while_its_voucher_is_reserved() -> None:
    with pytest.raises(ReviewSettlingError, match="already"):
        pass_review(passed(held_for_self_filing()), by="op-2", note=None, at=at(705))


def test_a_review_passed_but_not_yet_reserved_can_still_be_rejected() -> None:
    case, decision = reject_on_review(passed(held_for_self_filing()), by="op-2", note="撤回", at=at(705))
    assert case.status == "rejected"
    assert decision.final


def test_a_review_cannot_be_passed_before_eligibility_has_computed_a_voucher() -> None:
    case = new_case()
    for v in (verdict("conflict_of_interest", "clear", "c-1"), verdict("verification", "verified", "v-1")):
        case = record(case, v)
    case = settle(case, int(TIMEOUT.total_seconds() // 60))
    assert case.status == "needs_review"
    with pytest.raises(ReviewSettlingError, match="voucher"):
        pass_review(case, by="op-1", note=None, at=at(700))


# --- a failing verdict decides whenever it arrives ------------------------------------------

LATE_FAILURES = {
    "verification failed": lambda: verdict(
        "verification", "failed", "v-late", minutes=750, findings=(finding("MAT-AUDIT-QR", "fail"),)
    ),
    "eligibility failed": lambda: verdict(
        "eligibility", "fail", "e-late", minutes=750, findings=(finding("ELIG-NOT-RESTRICTED", "fail"),)
    ),
}
STAGES: dict[str, Callable[[], Case]] = {
    "held for review": timed_out_waiting_for_verification,
    "review passed, reserving": lambda: passed(timed_out_waiting_for_verification()),
    "awaiting notice": lambda: apply_decision(
        c := reserved(passed(timed_out_waiting_for_verification()), "720000.00"), decide(c, at(711), TIMEOUT)
    ),  # type: ignore[arg-type]
}


def _in_notice() -> Case:
    return open_notice(
        STAGES["awaiting notice"](), notice_id="N-1", starts_on=STARTS, ends_on=ENDS, at=at(720)
    )


STAGES["in public notice"] = _in_notice
STAGES["objection raised"] = lambda: raise_objection(
    _in_notice(), objection_id="O-1", on=date(2026, 10, 8), at=at(730)
)


@pytest.mark.parametrize("failure", LATE_FAILURES, ids=list(LATE_FAILURES))
@pytest.mark.parametrize("stage", STAGES, ids=list(STAGES))
def test_a_late_failing_verdict_rejects_the_case_at_any_open_stage(stage: str, failure: str) -> None:
    case = record(STAGES[stage](), LATE_FAILURES[failure]())
    decision = decide(case, at(800), TIMEOUT)
    assert decision is not None
    assert decision.status == "rejected"
    assert decision.final
    assert decision.failed_rules
    moved = apply_decision(case, decision)
    assert moved.status == "rejected"
    assert moved.open_objections == ()


def test_a_pass_is_refused_while_a_late_failing_check_stands() -> None:
    case = record(timed_out_waiting_for_verification(), LATE_FAILURES["verification failed"]())
    with pytest.raises(ReviewSettlingError, match="failed"):
        pass_review(case, by="op-1", note=None, at=at(801))


def test_an_approved_case_is_not_reopened_by_a_late_verdict() -> None:
    approved = approve(_in_notice(), on=date(2026, 10, 13), at=at(900))
    case = record(approved, LATE_FAILURES["verification failed"]())
    assert decide(case, at(901), TIMEOUT) is None


def test_a_late_failure_is_decided_once() -> None:
    case = record(STAGES["in public notice"](), LATE_FAILURES["verification failed"]())
    decision = decide(case, at(800), TIMEOUT)
    assert decision is not None
    rejected = apply_decision(case, decision)
    assert decide(rejected, at(801), TIMEOUT) is None
    assert decision.decided_at > OPENED
