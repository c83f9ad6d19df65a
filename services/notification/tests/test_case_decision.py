"""The case joins the three checks into one decision, whatever order the events come in."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from notification.domain.case import Case, apply_decision, decide, record
from notification.domain.verdicts import Verdict
from notification_testkit import OPENED, TIMEOUT, USCC, at, finding, new_case, verdict
from pydantic import ValidationError

ELIG_PASS = verdict("eligibility", "pass", "e-1", findings=(finding("AMT-RATE"),))
COI_CLEAR = verdict("conflict_of_interest", "clear", "c-1")
VERIFIED = verdict("verification", "verified", "v-1", minutes=30)


def with_verdicts(*verdicts: Verdict) -> Case:
    case = new_case()
    for v in verdicts:
        case = record(case, v)
    return case


def test_three_positive_checks_await_public_notice() -> None:
    decision = decide(with_verdicts(ELIG_PASS, COI_CLEAR, VERIFIED), at(31), TIMEOUT)
    assert decision is not None
    assert decision.status == "awaiting_notice"
    assert decision.failed_rules == ()
    assert not decision.final


def test_nothing_is_decided_while_a_check_is_outstanding_within_the_timeout() -> None:
    case = with_verdicts(ELIG_PASS, COI_CLEAR)
    assert decide(case, OPENED + TIMEOUT - timedelta(seconds=1), TIMEOUT) is None


def test_pending_verification_is_still_waiting() -> None:
    pending = verdict("verification", "pending", "v-0", minutes=1)
    assert decide(with_verdicts(ELIG_PASS, COI_CLEAR, pending), at(31), TIMEOUT) is None


def test_a_duplicate_event_is_recorded_once() -> None:
    case = with_verdicts(ELIG_PASS)
    assert record(case, ELIG_PASS) is case
    again = verdict("eligibility", "fail", "e-1", minutes=50)  # same event id, redelivered
    assert record(case, again) is case
    assert case.verdicts["eligibility"].outcome == "pass"


def test_a_later_verdict_supersedes_a_pending_one() -> None:
    pending = verdict("verification", "pending", "v-0", minutes=1)
    case = with_verdicts(pending, ELIG_PASS, COI_CLEAR, VERIFIED)
    assert case.verdicts["verification"].outcome == "verified"
    decision = decide(case, at(31), TIMEOUT)
    assert decision is not None
    assert decision.status == "awaiting_notice"


def test_an_older_verdict_arriving_late_does_not_replace_a_newer_one() -> None:
    stale_pending = verdict("verification", "pending", "v-0", minutes=1)
    case = with_verdicts(VERIFIED, stale_pending)
    assert case.verdicts["verification"].event_id == "v-1"
    assert "v-0" in case.seen_event_ids


def test_a_later_review_replaces_an_earlier_pass_of_the_same_check() -> None:
    later_review = verdict(
        "eligibility", "review", "e-2", minutes=20, findings=(finding("ELIG-LOCATION", "review"),)
    )
    case = with_verdicts(ELIG_PASS, later_review, COI_CLEAR, VERIFIED)
    decision = decide(case, at(31), TIMEOUT)
    assert decision is not None
    assert decision.status == "needs_review"


EVENTS = [
    ELIG_PASS,
    COI_CLEAR,
    verdict("verification", "pending", "v-0", minutes=1),
    VERIFIED,
    verdict("verification", "review", "v-2", minutes=60),
    ELIG_PASS,
]


@given(st.permutations(EVENTS))
def test_the_same_events_in_any_order_give_the_same_decision(order: list[Verdict]) -> None:
    decision = decide(with_verdicts(*order), at(90), TIMEOUT)
    assert decision is not None
    assert decision.status == "needs_review"
    assert decision == decide(with_verdicts(*EVENTS), at(90), TIMEOUT)


def test_same_instant_verdicts_settle_the_same_way_in_either_order() -> None:
    first = verdict("verification", "verified", "v-a", minutes=9)
    second = verdict("verification", "review", "v-b", minutes=9)
    assert with_verdicts(first, second).verdicts == with_verdicts(second, first).verdicts


def test_an_eligibility_failure_rejects_listing_every_failed_finding_of_every_check() -> None:
    elig = verdict(
        "eligibility",
        "fail",
        "e-1",
        findings=(
            finding("ELIG-LOCATION", "fail"),
            finding("AMT-MIN-SPEND", "fail"),
            finding("COI-RELATED-PARTY", "fail", "HT-1"),
            finding("AMT-RATE", "pass"),
        ),
    )
    coi = verdict(
        "conflict_of_interest",
        "conflict",
        "c-1",
        findings=(finding("COI-RELATED-PARTY", "fail", "HT-1"),),
    )
    verif = verdict(
        "verification", "failed", "v-1", findings=(finding("MAT-TAX", "fail"), finding("MAT-LICENSE"))
    )
    decision = decide(with_verdicts(elig, coi, verif), at(31), TIMEOUT)
    assert decision is not None
    assert decision.status == "rejected"
    assert decision.final
    rules = [(f.rule, f.contract_no) for f in decision.failed_rules]
    assert rules == [
        ("ELIG-LOCATION", None),
        ("AMT-MIN-SPEND", None),
        ("COI-RELATED-PARTY", "HT-1"),
        ("MAT-TAX", None),
    ]
    assert "资格审查未通过" in decision.reasons
    assert "材料核查未通过" in decision.reasons


def test_a_failure_waits_for_the_checks_not_yet_answered_so_the_letter_lists_every_failed_rule() -> None:
    verif = verdict("verification", "failed", "v-1", findings=(finding("MAT-TAX", "fail"),))
    assert decide(with_verdicts(verif), at(1), TIMEOUT) is None
    elig = verdict("eligibility", "fail", "e-1", findings=(finding("AMT-MIN-SPEND", "fail"),))
    decision = decide(with_verdicts(verif, elig, COI_CLEAR), at(2), TIMEOUT)
    assert decision is not None
    assert decision.status == "rejected"
    assert [f.rule for f in decision.failed_rules] == ["AMT-MIN-SPEND", "MAT-TAX"]


def test_a_failure_does_not_wait_for_a_check_that_answered_pending() -> None:
    elig = verdict("eligibility", "fail", "e-1", findings=(finding("AMT-MIN-SPEND", "fail"),))
    pending = verdict("verification", "pending", "v-0")
    decision = decide(with_verdicts(elig, COI_CLEAR, pending), at(6), TIMEOUT)
    assert decision is not None
    assert decision.status == "rejected"
    assert any("材料核查尚未完成" in r for r in decision.reasons)


def test_a_failure_rejects_after_the_timeout_naming_the_check_that_never_answered() -> None:
    verif = verdict("verification", "failed", "v-1", findings=(finding("MAT-TAX", "fail"),))
    decision = decide(with_verdicts(verif), OPENED + TIMEOUT, TIMEOUT)
    assert decision is not None
    assert decision.status == "rejected"
    assert any("资格审查尚未完成" in r for r in decision.reasons)


def test_a_failure_outweighs_a_review() -> None:
    coi_review = verdict("conflict_of_interest", "review", "c-1")
    verif = verdict("verification", "failed", "v-1", findings=(finding("MAT-TAX", "fail"),))
    decision = decide(with_verdicts(ELIG_PASS, coi_review, verif), at(31), TIMEOUT)
    assert decision is not None
    assert decision.status == "rejected"


def test_a_coi_conflict_on_one_of_two_contracts_with_eligibility_passing_awaits_notice() -> None:
    conflict = finding("COI-RELATED-PARTY", "fail", "HT-2")
    coi = verdict("conflict_of_interest", "conflict", "c-1", findings=(conflict,))
    elig = verdict(
        "eligibility",
        "pass",
        "e-1",
        findings=(finding("COI-RELATED-PARTY", "pass", "HT-1"), conflict, finding("AMT-MIN-SPEND")),
    )
    decision = decide(with_verdicts(elig, coi, VERIFIED), at(31), TIMEOUT)
    assert decision is not None
    assert decision.status == "awaiting_notice"


def test_a_coi_review_eligibility_weighed_as_a_counted_contract_holds_the_case() -> None:
    held = finding("COI-RELATED-PARTY", "review", "HT-1")
    coi = verdict("conflict_of_interest", "review", "c-1", findings=(held,))
    elig = verdict("eligibility", "review", "e-1", findings=(held, finding("AMT-RATE")))
    decision = decide(with_verdicts(elig, coi, VERIFIED), at(31), TIMEOUT)
    assert decision is not None
    assert decision.status == "needs_review"
    assert decision.review_findings == (held,)


def test_a_coi_review_of_a_contract_eligibility_left_out_does_not_hold_the_case() -> None:
    # An unregistered provider: nothing is known of it, so its conflict verdict is `review`;
    # the rule book has excluded the contract, and eligibility passes on the others.
    held = finding("COI-RELATED-PARTY", "review", "HT-9")
    coi = verdict("conflict_of_interest", "review", "c-1", findings=(held,))
    decision = decide(with_verdicts(ELIG_PASS, coi, VERIFIED), at(31), TIMEOUT)
    assert decision is not None
    assert decision.status == "awaiting_notice"


def test_a_coi_review_holds_the_case_while_eligibility_has_not_answered() -> None:
    held = finding("COI-RELATED-PARTY", "review", "HT-1")
    coi = verdict("conflict_of_interest", "review", "c-1", findings=(held,))
    decision = decide(with_verdicts(coi, VERIFIED), OPENED + TIMEOUT, TIMEOUT)
    assert decision is not None
    assert decision.status == "needs_review"
    assert any("conflict_of_interest" in r for r in decision.reasons)


def test_a_review_waits_for_the_other_checks_within_the_timeout() -> None:
    coi = verdict("conflict_of_interest", "review", "c-1")
    assert decide(with_verdicts(ELIG_PASS, coi), at(31), TIMEOUT) is None


def test_a_check_missing_after_the_timeout_is_named_in_the_review_reasons() -> None:
    decision = decide(with_verdicts(ELIG_PASS, VERIFIED), OPENED + TIMEOUT, TIMEOUT)
    assert decision is not None
    assert decision.status == "needs_review"
    assert decision.reasons == ("关联关系审查（conflict_of_interest）在6小时内未完成，转人工复核",)


def test_a_check_still_pending_after_the_timeout_is_named_too() -> None:
    pending = verdict("verification", "pending", "v-0", minutes=1)
    decision = decide(with_verdicts(ELIG_PASS, COI_CLEAR, pending), at(24 * 60), TIMEOUT)
    assert decision is not None
    assert decision.status == "needs_review"
    assert len(decision.reasons) == 1
    assert "verification" in decision.reasons[0]


def test_the_same_events_reproduce_the_same_decision_id() -> None:
    one = decide(with_verdicts(ELIG_PASS, COI_CLEAR, VERIFIED), at(31), TIMEOUT)
    two = decide(with_verdicts(VERIFIED, COI_CLEAR, ELIG_PASS), at(45), TIMEOUT)
    other = decide(new_case("APP-2").model_copy(update={"verdicts": {}}), at(600), TIMEOUT)
    assert one is not None
    assert two is not None
    assert other is not None
    assert one.decision_id == two.decision_id
    assert one.decision_id != other.decision_id


def test_a_decided_case_is_not_decided_again() -> None:
    case = with_verdicts(ELIG_PASS, COI_CLEAR, VERIFIED)
    decision = decide(case, at(31), TIMEOUT)
    assert decision is not None
    decided = apply_decision(case, decision)
    assert decided.status == "awaiting_notice"
    assert decided.decision_id == decision.decision_id
    assert decide(decided, at(40), TIMEOUT) is None


def test_the_decision_event_marks_a_rejection_final() -> None:
    verif = verdict("verification", "failed", "v-1", findings=(finding("MAT-TAX", "fail"),))
    decision = decide(with_verdicts(ELIG_PASS, COI_CLEAR, verif), at(6), TIMEOUT)
    assert decision is not None
    event = decision.to_event(USCC)
    assert event.final is True
    assert event.status == "rejected"
    assert [f.rule for f in event.failed_rules] == ["MAT-TAX"]


def test_a_naive_clock_reading_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(new_case(), datetime(2026, 5, 20, 12, 0), TIMEOUT)


def test_an_outcome_of_another_check_is_refused() -> None:
    with pytest.raises(ValidationError, match="verified"):
        verdict("eligibility", "verified", "e-9")


def test_the_case_keeps_the_voucher_of_its_eligibility_verdict() -> None:
    case = with_verdicts(ELIG_PASS)
    assert case.voucher is not None
    assert str(case.voucher.total_cny) == "720000.00"
