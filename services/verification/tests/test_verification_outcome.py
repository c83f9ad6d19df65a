"""The verdict: every finding in the guide's order, and the outcome drawn from their results."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from verification.domain.model import MaterialParams, QrAnswer
from verification.domain.rulebook import RULE_IDS, outcome_of
from verification.domain.verify import verify
from verification_testkit import PARAMS_2026, AppBuilder
from vouchers_shared.events import VerificationCompleted
from vouchers_shared.findings import Finding, Result


def finding(result: Result) -> Finding:
    return Finding(rule="MAT-X", clause="五", result=result, message="消息", message_en="message")


@pytest.mark.parametrize(
    ("results", "outcome"),
    [
        (["pass", "pass"], "verified"),
        (["pass", "fail"], "failed"),
        (["fail", "pending", "review"], "failed"),
        (["pass", "pending"], "pending"),
        (["review", "pending"], "pending"),
        (["pass", "review"], "review"),
        ([], "verified"),
    ],
)
def test_the_outcome_follows_the_worst_result(results: list[Result], outcome: str) -> None:
    assert outcome_of([finding(r) for r in results]) == outcome


def test_findings_come_in_the_guides_order_with_one_per_contract() -> None:
    result = verify(
        AppBuilder.example().build(),
        qr_answers={"CPA-2025-5K00010T": QrAnswer.REGISTERED},
        params=PARAMS_2026,
    )

    rules = [f.rule for f in result.findings]
    assert rules == [*RULE_IDS[:2], "MAT-CONTRACT", "MAT-CONTRACT", *RULE_IDS[3:]]
    assert [f.contract_no for f in result.findings if f.contract_no] == ["HT-A-01", "HT-A-02"]


def test_the_same_application_always_gives_the_same_verdict() -> None:
    app = AppBuilder.example().without("audit_consent").build()

    first = verify(app, qr_answers={}, params=PARAMS_2026)
    second = verify(app, qr_answers={}, params=PARAMS_2026)

    assert first == second


def test_every_finding_cites_a_clause_and_explains_itself_in_both_languages() -> None:
    builder = AppBuilder.example().without("audit_consent", "application_form")

    for f in verify(builder.build(), qr_answers={}, params=PARAMS_2026).findings:
        assert f.clause, f.rule
        assert f.message, f.rule
        assert f.message_en, f.rule
        assert f.rule.startswith("MAT-")


def test_a_failing_verdict_lists_every_failed_rule_once() -> None:
    builder = AppBuilder.example().without("audit_consent", "service_contract")

    result = verify(builder.build(), qr_answers={}, params=PARAMS_2026)

    assert result.failed_rules() == ["MAT-CONTRACT", "MAT-AUDIT-CONSENT"]
    assert result.outcome == "failed"


def test_the_verdict_fits_the_shared_verification_event() -> None:
    result = verify(AppBuilder.example().build(), qr_answers={}, params=PARAMS_2026)

    event = VerificationCompleted(
        application_id="app-1",
        applicant_uscc="91440305MA5K00010T",
        outcome=result.outcome,
        findings=result.findings,
        completed_at=datetime(2026, 5, 20, 2, 0, tzinfo=UTC),
    )

    assert VerificationCompleted.model_validate_json(event.model_dump_json()) == event
    assert event.outcome == "pending"


def test_parameters_without_an_accepted_fiscal_year_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        MaterialParams(audit_fiscal_years=(), young_enterprise=PARAMS_2026.young_enterprise)
