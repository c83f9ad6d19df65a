"""MAT-FINANCIAL 五(六) and MAT-AUDIT-QR 声明二: audit report, capital verification, final accounts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from verification.domain.financial import qr_queries
from verification.domain.model import MaterialParams, QrAnswer, QrQuery, VerificationResult
from verification.domain.verify import verify
from verification_testkit import PARAMS_2026, PUBLIC_INSTITUTION_USCC, AppBuilder
from vouchers_shared.findings import Finding

QR = "CPA-2025-5K00010T"
USCC = "91440305MA5K00010T"
CUTOFF = PARAMS_2026.young_enterprise.first_young_registration
ELEVEN_MONTHS_BEFORE_GUIDE = date(2025, 5, 30)


def run(
    builder: AppBuilder,
    answers: dict[str, QrAnswer] | None = None,
    params: MaterialParams = PARAMS_2026,
) -> VerificationResult:
    answers = {QR: QrAnswer.REGISTERED} if answers is None else answers
    return verify(builder.build(), qr_answers=answers, params=params)


def one(result: VerificationResult, rule: str) -> Finding:
    [finding] = result.of_rule(rule)
    return finding


def young_with_capital_verification(registered_on: date) -> AppBuilder:
    return (
        AppBuilder.example()
        .applicant(registered_on=registered_on.isoformat())
        .without("audit_report")
        .with_material("capital_verification_report")
    )


def test_a_2025_audit_report_with_a_qr_code_passes() -> None:
    f = one(run(AppBuilder.example()), "MAT-FINANCIAL")

    assert (f.result, f.clause) == ("pass", "五(六); 声明二")
    assert f.observed == "audit_report FY2025 qr=yes"


def test_a_2024_audit_report_is_accepted_where_2025_is_declared_not_audited_yet() -> None:
    builder = (
        AppBuilder.example()
        .change("audit_report", fiscal_year=2024, qr_code="CPA-2024-X")
        .declare(fy2025_audit_incomplete=True)
    )

    result = run(builder, {"CPA-2024-X": QrAnswer.REGISTERED})

    assert one(result, "MAT-FINANCIAL").result == "pass"
    assert result.outcome == "verified"
    assert qr_queries(builder.build(), params=PARAMS_2026) == [
        QrQuery(qr_code="CPA-2024-X", uscc=USCC, fiscal_year=2024)
    ]


def test_a_2023_audit_report_is_refused() -> None:
    builder = AppBuilder.example().change("audit_report", fiscal_year=2023)

    result = run(builder)

    f = one(result, "MAT-FINANCIAL")
    assert f.result == "fail"
    assert "2023" in f.message
    assert f.limit == "audit_report FY2025 with qr_code (FY2024 if fy2025_audit_incomplete)"
    assert one(result, "MAT-AUDIT-QR").result == "fail"
    assert qr_queries(builder.build(), params=PARAMS_2026) == []


def test_the_accepted_fiscal_years_come_from_the_program_parameters() -> None:
    later_program = MaterialParams(
        audit_fiscal_years=(2026, 2025), young_enterprise=PARAMS_2026.young_enterprise
    )
    builder = (
        AppBuilder.example().change("audit_report", fiscal_year=2024).declare(fy2025_audit_incomplete=True)
    )

    assert one(run(builder, params=later_program), "MAT-FINANCIAL").result == "fail"
    assert one(run(builder, params=PARAMS_2026), "MAT-FINANCIAL").result == "pass"


def test_an_audit_report_without_a_qr_code_fails() -> None:
    builder = AppBuilder.example().change("audit_report", qr_code=None)

    result = run(builder)

    f = one(result, "MAT-FINANCIAL")
    assert (f.result, f.observed) == ("fail", "audit_report FY2025 qr=no")
    assert "二维验证码" in f.message
    assert result.outcome == "failed"


def test_no_audit_report_at_all_fails() -> None:
    f = one(run(AppBuilder.example().without("audit_report")), "MAT-FINANCIAL")

    assert (f.result, f.observed) == ("fail", "absent")


def test_the_2025_report_is_the_one_checked_when_both_years_are_given() -> None:
    builder = AppBuilder.example().with_material("audit_report", fiscal_year=2024, qr_code="CPA-2024-OLD")
    builder.data["materials"].insert(0, builder.data["materials"].pop())

    assert qr_queries(builder.build(), params=PARAMS_2026) == [
        QrQuery(qr_code=QR, uscc=USCC, fiscal_year=2025)
    ]


def test_an_enterprise_registered_eleven_months_before_the_guide_may_give_a_capital_verification() -> None:
    builder = young_with_capital_verification(ELEVEN_MONTHS_BEFORE_GUIDE)

    result = run(builder, answers={})

    assert one(result, "MAT-FINANCIAL").result == "pass"
    qr = one(result, "MAT-AUDIT-QR")
    assert (qr.result, qr.observed) == ("pass", "not applicable")
    assert qr_queries(builder.build(), params=PARAMS_2026) == []
    assert result.outcome == "verified"


def test_an_enterprise_registered_exactly_on_the_cutoff_is_still_young() -> None:
    assert one(run(young_with_capital_verification(CUTOFF)), "MAT-FINANCIAL").result == "pass"


def test_an_enterprise_registered_the_day_before_the_cutoff_needs_an_audit_report() -> None:
    builder = young_with_capital_verification(CUTOFF - timedelta(days=1))

    assert one(run(builder), "MAT-FINANCIAL").result == "fail"


def test_an_old_enterprise_with_only_a_capital_verification_report_fails() -> None:
    builder = young_with_capital_verification(date(2019, 6, 18))

    result = run(builder)

    f = one(result, "MAT-FINANCIAL")
    assert f.result == "fail"
    assert "验资报告仅适用于注册未满一年的企业" in f.message
    assert "2019-06-18" in f.message_en
    assert result.outcome == "failed"


def test_a_young_university_cannot_give_a_capital_verification_instead() -> None:
    builder = young_with_capital_verification(ELEVEN_MONTHS_BEFORE_GUIDE).applicant(org_type="university")

    assert one(run(builder), "MAT-FINANCIAL").result == "fail"


def test_a_young_enterprise_that_gave_an_audit_report_has_its_qr_code_checked() -> None:
    builder = AppBuilder.example().applicant(registered_on=ELEVEN_MONTHS_BEFORE_GUIDE.isoformat())

    result = run(builder, answers={})

    assert one(result, "MAT-AUDIT-QR").result == "pending"
    assert len(qr_queries(builder.build(), params=PARAMS_2026)) == 1


def test_a_public_institution_with_certificate_and_final_accounts_and_no_tax_certificate_passes() -> None:
    builder = AppBuilder.example().public_institution()

    result = run(builder, answers={})

    assert result.outcome == "verified", result.failed_rules()
    assert one(result, "MAT-FINANCIAL").observed == "financial_final_accounts"
    assert "Not applicable" in one(result, "MAT-AUDIT-QR").message_en
    assert "Not applicable" in one(result, "MAT-TAX").message_en
    assert qr_queries(builder.build(), params=PARAMS_2026) == []


def test_a_public_institution_without_final_accounts_fails() -> None:
    builder = AppBuilder.example().public_institution().without("financial_final_accounts")

    f = one(run(builder), "MAT-FINANCIAL")

    assert (f.result, f.limit) == ("fail", "financial_final_accounts")
    assert "财务决算报表" in f.message


@pytest.mark.parametrize(
    ("answer", "result", "outcome"),
    [
        (QrAnswer.REGISTERED, "pass", "verified"),
        (QrAnswer.NOT_REGISTERED, "fail", "failed"),
        (QrAnswer.UNAVAILABLE, "pending", "pending"),
    ],
)
def test_the_platforms_answer_decides_the_qr_finding(answer: QrAnswer, result: str, outcome: str) -> None:
    verdict = run(AppBuilder.example(), {QR: answer})

    f = one(verdict, "MAT-AUDIT-QR")
    assert (f.result, f.clause) == (result, "声明二")
    assert verdict.outcome == outcome


def test_a_qr_code_not_yet_asked_about_is_pending() -> None:
    f = one(run(AppBuilder.example(), {}), "MAT-AUDIT-QR")

    assert (f.result, f.observed) == (
        "pending",
        f"qr_code={QR}, fiscal_year=2025, platform=not asked",
    )


def test_an_unregistered_qr_code_fails_with_the_reason() -> None:
    f = one(run(AppBuilder.example(), {QR: QrAnswer.NOT_REGISTERED}), "MAT-AUDIT-QR")

    assert "未在注册会计师行业统一监管平台备案" in f.message
    assert f.limit == f"registered for {USCC} FY2025"


def test_the_query_names_the_applicants_uscc_and_the_reports_fiscal_year() -> None:
    assert qr_queries(AppBuilder.example().build(), params=PARAMS_2026) == [
        QrQuery(qr_code=QR, uscc=USCC, fiscal_year=2025)
    ]


def test_a_public_institution_is_never_asked_about() -> None:
    builder = (
        AppBuilder.example()
        .public_institution()
        .with_material("audit_report", fiscal_year=2025, qr_code="CPA-PUB")
    )

    assert builder.build().applicant.uscc == PUBLIC_INSTITUTION_USCC
    assert qr_queries(builder.build(), params=PARAMS_2026) == []
