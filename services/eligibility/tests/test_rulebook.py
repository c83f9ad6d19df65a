"""The rule book as a whole: which findings decide, conflict-of-interest input, what to reserve."""

from __future__ import annotations

from decimal import Decimal

import pytest
from eligibility.domain.outcome import RULES
from eligibility.domain.rulebook import ProgramMismatchError, Verdict
from eligibility_testkit import (
    PROVIDER_2,
    application,
    coi_answer,
    coi_finding,
    contract,
    finding,
    make_uscc,
    run,
    voucher_by_contract,
)

SPEC_CLAUSES = {
    "ELIG-ORG-TYPE": "一; 四(一)1",
    "ELIG-LEGAL-PERSON": "四(一)1",
    "ELIG-LOCATION": "四(一)1",
    "ELIG-NOT-RESTRICTED": "四(一)2",
    "ELIG-SELF-FILED": "四(一)3; 五 特别提醒; 声明一",
    "ELIG-NOT-A-PROVIDER": "四(二)",
    "ELIG-ETHICS": "四(一)5; 五(十)",
    "ELIG-FILING-WINDOW": "七(二)",
    "CON-PROVIDER-REGISTERED": "三(二)注",
    "CON-SIGNING-WINDOW": "三(二)注",
    "CON-SERVICE-PERIOD": "三(二)注",
    "CON-CONTENT": "三(二)注; 五(三)",
    "CON-OTHER-FUNDING": "四(一)4",
    "CON-NOT-DUPLICATE": "三(一)2",
    "AMT-RATE": "三(一)2",
    "AMT-MIN-SPEND": "三(一)2",
    "AMT-ANNUAL-CAP": "三(一)2",
}


def two_contracts() -> list[dict[str, object]]:
    return [
        contract(contract_no="HT-1", amount_cny="1000000.00"),
        contract(contract_no="HT-2", amount_cny="600000.00", provider_uscc=PROVIDER_2),
    ]


def test_every_rule_of_the_rule_book_is_registered_with_its_clause() -> None:
    registered = {r: RULES[r].clause for r in SPEC_CLAUSES}
    assert registered == SPEC_CLAUSES
    assert all(RULES[r].summary for r in SPEC_CLAUSES)


def test_a_passing_verdict_lists_every_rule_with_the_clause_it_applies() -> None:
    verdict = run(application(contracts=two_contracts()))
    assert verdict.outcome == "pass"
    cited = {(f.rule, f.clause) for f in verdict.findings}
    assert cited == set(SPEC_CLAUSES.items())
    assert len(verdict.findings) == 8 + 2 * 6 + 3
    assert all(f.result == "pass" for f in verdict.findings)


def test_findings_come_applicant_first_then_each_contract_then_the_amounts() -> None:
    verdict = run(application(contracts=two_contracts()))
    groups = [f.rule.split("-")[0] + ("/" + f.contract_no if f.contract_no else "") for f in verdict.findings]
    assert groups == ["ELIG"] * 8 + ["CON/HT-1"] * 6 + ["CON/HT-2"] * 6 + ["AMT"] * 3
    assert run(application(contracts=two_contracts())).findings == verdict.findings


def test_a_passing_application_reserves_its_whole_voucher() -> None:
    verdict = run(application(contracts=two_contracts()))
    assert verdict.voucher is not None
    assert verdict.voucher.eligible_spend_cny == Decimal("1600000.00")
    assert verdict.voucher.total_cny == Decimal("800000.00")
    assert verdict.reserve_cny == Decimal("800000.00")


def test_a_failing_applicant_rule_fails_the_application_with_no_voucher() -> None:
    verdict = run(application(applicant={"independent_legal_person": False}))
    assert verdict.outcome == "fail"
    assert verdict.failed_rules() == ["ELIG-LEGAL-PERSON"]
    assert verdict.voucher is None
    assert verdict.reserve_cny == 0


def test_a_failing_rule_outweighs_a_review() -> None:
    app = application(applicant={"uscc": make_uscc("441900", 3), "org_type": "other"})
    assert run(app).outcome == "fail"


def test_a_review_holds_the_application_and_reserves_nothing_yet() -> None:
    verdict = run(application(declarations={"filed_by_project_lead": False}))
    assert verdict.outcome == "review"
    assert verdict.reserve_cny == 0
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("600000.00")


def test_a_conflicted_contract_is_left_out_before_the_amounts() -> None:
    app = application(contracts=two_contracts())
    coi = coi_answer(
        app,
        {"HT-2": "conflict"},
        [coi_finding("COI-RELATED-PARTY", "fail", "HT-2"), coi_finding("COI-RELATED-PARTY", "pass", "HT-1")],
    )
    verdict = run(app, coi=coi)
    assert verdict.outcome == "pass"
    assert voucher_by_contract(verdict) == {"HT-1": Decimal("500000.00")}
    assert verdict.failed_rules() == ["COI-RELATED-PARTY"]
    assert finding(verdict, "COI-RELATED-PARTY", "HT-2").result == "fail"
    assert finding(verdict, "COI-RELATED-PARTY", "HT-1").result == "pass"


def test_coi_findings_sit_with_their_contract() -> None:
    app = application(contracts=two_contracts())
    coi = coi_answer(
        app,
        findings=[
            coi_finding("COI-SAME-ENTITY", "pass", "HT-2"),
            coi_finding("COI-SAME-ENTITY", "pass", "HT-1"),
        ],
    )
    rules = [(f.contract_no, f.rule) for f in run(app, coi=coi).findings if f.contract_no]
    assert rules[6] == ("HT-1", "COI-SAME-ENTITY")
    assert rules[13] == ("HT-2", "COI-SAME-ENTITY")


def test_a_conflict_on_the_only_contract_fails_on_the_minimum_spend() -> None:
    app = application()
    coi = coi_answer(app, {"HT-001": "conflict"}, [coi_finding("COI-RELATED-PARTY", "fail", "HT-001")])
    verdict = run(app, coi=coi)
    assert verdict.outcome == "fail"
    assert verdict.failed_rules() == ["COI-RELATED-PARTY", "AMT-MIN-SPEND"]
    assert finding(verdict, "AMT-MIN-SPEND").observed == "0.00"


def test_a_coi_review_on_a_counted_contract_holds_the_application() -> None:
    app = application(contracts=two_contracts())
    coi = coi_answer(app, {"HT-1": "review"}, [coi_finding("COI-RELATED-PARTY", "review", "HT-1")])
    verdict = run(app, coi=coi)
    assert verdict.outcome == "review"
    assert verdict.reserve_cny == 0
    assert verdict.voucher is not None
    assert verdict.voucher.total_cny == Decimal("800000.00")


def test_a_coi_review_on_a_contract_already_excluded_does_not_hold_the_application() -> None:
    late = contract(
        contract_no="HT-LATE", signed_on="2027-01-05", service_start="2027-01-05", service_end="2027-02-05"
    )
    app = application(contracts=[contract(contract_no="HT-1"), late])
    coi = coi_answer(app, {"HT-LATE": "review"})
    assert run(app, coi=coi).outcome == "pass"


def test_a_contract_without_a_coi_verdict_is_held_for_review() -> None:
    app = application(contracts=two_contracts())
    coi = coi_answer(app).model_copy(update={"contracts": coi_answer(app).contracts[:1]})
    verdict = run(app, coi=coi)
    assert verdict.outcome == "review"
    missing = finding(verdict, "COI-RELATED-PARTY", "HT-2")
    assert (missing.result, missing.clause) == ("review", "三(一)2")


def test_an_application_for_another_program_year_is_refused() -> None:
    app = application().model_copy(update={"program_year": 2027})
    with pytest.raises(ProgramMismatchError):
        run(app)


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [({}, "pass"), ({"self_filed": False}, "fail"), ({"filed_by_project_lead": False}, "review")],
)
def test_the_verdict_survives_a_json_round_trip(changes: dict[str, bool], outcome: str) -> None:
    verdict = run(application(declarations=changes))
    again = Verdict.model_validate_json(verdict.model_dump_json())
    assert again == verdict
    assert again.outcome == outcome
    assert '"reserve_cny":"' in verdict.model_dump_json()
