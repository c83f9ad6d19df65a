"""Documents that must be present, signed by the legal representative and stamped: 五(一)-(四), (七)-(十)."""

from __future__ import annotations

from typing import Any

import pytest
from verification.domain.model import QrAnswer, VerificationResult
from verification.domain.verify import verify
from verification_testkit import PARAMS_2026, AppBuilder

REGISTERED = {"CPA-2025-5K00010T": QrAnswer.REGISTERED}


def run(builder: AppBuilder) -> VerificationResult:
    return verify(builder.build(), qr_answers=REGISTERED, params=PARAMS_2026)


def result_of(builder: AppBuilder, rule: str) -> str:
    [finding] = run(builder).of_rule(rule)
    return finding.result


def test_the_approvable_example_passes_every_material_rule() -> None:
    result = run(AppBuilder.example())

    assert result.outcome == "verified"
    assert all(f.result == "pass" for f in result.findings)


@pytest.mark.parametrize(
    "kind",
    [
        "application_form",
        "business_license",
        "usage_scenario_statement",
        "personnel_certificates",
        "audit_report",
        "tax_payment_certificate",
        "commitment_letter",
        "audit_consent",
    ],
)
def test_leaving_out_any_required_document_fails_the_verification(kind: str) -> None:
    assert run(AppBuilder.example().without(kind)).outcome == "failed"


def test_a_missing_application_form_fails_with_its_clause() -> None:
    [f] = run(AppBuilder.example().without("application_form")).of_rule("MAT-APPLICATION-FORM")

    assert (f.result, f.clause, f.observed) == ("fail", "五(一)", "absent")
    assert "项目申请书" in f.message


SIGNATURE_TABLE = [
    pytest.param({"signed_by_legal_rep": True, "stamped": True}, "pass", id="signed-and-stamped"),
    pytest.param({"signed_by_legal_rep": False, "stamped": True}, "fail", id="unsigned"),
    pytest.param({"signed_by_legal_rep": True, "stamped": False}, "fail", id="unstamped"),
    pytest.param({"signed_by_legal_rep": None, "stamped": None}, "fail", id="marks-not-stated"),
]


@pytest.mark.parametrize(("marks", "expected"), SIGNATURE_TABLE)
@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        ("business_license", "MAT-LICENSE"),
        ("commitment_letter", "MAT-COMMITMENT"),
        ("audit_consent", "MAT-AUDIT-CONSENT"),
    ],
)
def test_licence_commitment_and_consent_need_the_legal_representatives_signature_and_seal(
    kind: str, rule: str, marks: dict[str, Any], expected: str
) -> None:
    assert result_of(AppBuilder.example().change(kind, **marks), rule) == expected


def test_an_unsigned_audit_consent_fails_and_says_the_signature_is_missing() -> None:
    builder = AppBuilder.example().change("audit_consent", signed_by_legal_rep=False)

    [f] = run(builder).of_rule("MAT-AUDIT-CONSENT")

    assert (f.result, f.clause) == ("fail", "五(九)")
    assert "法定代表人签名" in f.message
    assert f.observed == "present, signed_by_legal_rep=false, stamped=true"


def test_an_unstamped_commitment_letter_fails() -> None:
    builder = AppBuilder.example().change("commitment_letter", stamped=False)

    [f] = run(builder).of_rule("MAT-COMMITMENT")

    assert (f.result, f.clause) == ("fail", "五(八)")
    assert "公章" in f.message
    assert run(builder).outcome == "failed"


def test_a_properly_signed_second_copy_makes_up_for_an_unsigned_first() -> None:
    builder = (
        AppBuilder.example()
        .change("audit_consent", signed_by_legal_rep=False)
        .with_material("audit_consent", signed_by_legal_rep=True, stamped=True)
    )

    assert result_of(builder, "MAT-AUDIT-CONSENT") == "pass"


@pytest.mark.parametrize(("stamped", "expected"), [(True, "pass"), (False, "fail"), (None, "fail")])
def test_the_usage_scenario_statement_must_be_stamped(stamped: bool | None, expected: str) -> None:
    builder = AppBuilder.example().change("usage_scenario_statement", stamped=stamped)

    assert result_of(builder, "MAT-SCENARIO") == expected


def test_a_public_institution_gives_its_registration_certificate_in_place_of_a_licence() -> None:
    [f] = run(AppBuilder.example().public_institution()).of_rule("MAT-LICENSE")

    assert f.result == "pass"
    assert "事业单位登记证书" in f.message


def test_a_public_institution_with_only_a_business_licence_fails_the_licence_rule() -> None:
    builder = (
        AppBuilder.example()
        .public_institution()
        .without("institution_certificate")
        .with_material("business_license", signed_by_legal_rep=True, stamped=True)
    )

    assert result_of(builder, "MAT-LICENSE") == "fail"


def test_an_enterprise_with_only_an_institution_certificate_fails_the_licence_rule() -> None:
    builder = (
        AppBuilder.example()
        .without("business_license")
        .with_material("institution_certificate", signed_by_legal_rep=True, stamped=True)
    )

    assert result_of(builder, "MAT-LICENSE") == "fail"


def test_an_unsigned_institution_certificate_fails() -> None:
    builder = AppBuilder.example().public_institution()
    builder.change("institution_certificate", signed_by_legal_rep=False)

    assert result_of(builder, "MAT-LICENSE") == "fail"


def test_last_years_tax_payment_certificate_passes() -> None:
    [f] = run(AppBuilder.example()).of_rule("MAT-TAX")

    assert (f.result, f.clause, f.limit) == ("pass", "五(七)", "year=2025")


@pytest.mark.parametrize("year", [2024, 2026])
def test_a_tax_certificate_for_another_year_than_last_year_fails(year: int) -> None:
    builder = AppBuilder.example().change("tax_payment_certificate", year=year)

    [f] = run(builder).of_rule("MAT-TAX")

    assert (f.result, f.observed, f.limit) == ("fail", f"year={year}", "year=2025")


def test_the_tax_year_follows_the_program_year() -> None:
    data = AppBuilder.example().change("tax_payment_certificate", year=2026)
    data.data["program_year"] = 2027

    assert result_of(data, "MAT-TAX") == "pass"


def test_a_project_without_ethics_or_safety_matters_needs_no_ethics_approval() -> None:
    [f] = run(AppBuilder.example()).of_rule("MAT-ETHICS")

    assert (f.result, f.clause) == ("pass", "五(十)")
    assert "Not applicable" in f.message_en


def test_a_project_involving_ethics_without_an_approval_fails() -> None:
    builder = AppBuilder.example().project(ethics_or_safety_involved=True)

    [f] = run(builder).of_rule("MAT-ETHICS")

    assert (f.result, f.observed) == ("fail", "absent")
    assert run(builder).outcome == "failed"


def test_a_project_involving_ethics_with_an_approval_passes() -> None:
    builder = AppBuilder.example().project(ethics_or_safety_involved=True).with_material("ethics_approval")

    assert result_of(builder, "MAT-ETHICS") == "pass"
