"""Which audit report MAT-FINANCIAL rests on (五(六); 声明二): FY2025, or FY2024 only for a unit
that declares its FY2025 audit not completed (and then files no FY2025 report); a report
without a QR verification code is not used. The finding says which report was used and why
each other one was not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from verification.domain.financial import qr_queries
from verification.domain.model import QrAnswer, VerificationResult
from verification.domain.verify import verify
from verification_testkit import PARAMS_2026, AppBuilder

Q25, Q24, Q23 = "CPA-2025-A", "CPA-2024-A", "CPA-2023-A"


def fy(year: int, qr: str | None) -> dict[str, Any]:
    return {"fiscal_year": year, **({"qr_code": qr} if qr else {})}


@dataclass(frozen=True)
class Case:
    reports: tuple[dict[str, Any], ...]
    declared: bool
    answers: dict[str, QrAnswer]
    financial: str  # MAT-FINANCIAL result
    asked: tuple[tuple[str, int], ...]  # the QR queries: (code, fiscal year)
    outcome: str
    says: tuple[str, ...] = ()  # in the English message
    says_zh: tuple[str, ...] = ()


REGISTERED = {Q25: QrAnswer.REGISTERED, Q24: QrAnswer.REGISTERED, Q23: QrAnswer.REGISTERED}

CASES: dict[str, Case] = {
    "FY2025 with a registered QR code": Case(
        (fy(2025, Q25),),
        False,
        REGISTERED,
        "pass",
        ((Q25, 2025),),
        "verified",
        ("FY2025 audit report with a QR verification code is used",),
        ("采用含二维验证码的 2025 年度",),
    ),
    "FY2025 without a QR code and FY2024 with one, no declaration": Case(
        (fy(2025, None), fy(2024, Q24)),
        False,
        REGISTERED,
        "fail",
        (),
        "failed",
        (
            "FY2025 audit report carries no QR verification code",
            "FY2024 audit report counts only for a unit that has not completed its FY2025 audit",
        ),
        ("2025 年度财务审计报告无二维验证码", "申请单位未作此声明"),
    ),
    "the same with the declaration, the FY2025 report filed too": Case(
        (fy(2025, None), fy(2024, Q24)),
        True,
        REGISTERED,
        "fail",
        (),
        "failed",
        ("declares its FY2025 audit not completed", "contradict"),
        ("二者矛盾",),
    ),
    "declaration and only FY2024 with a registered QR code": Case(
        (fy(2024, Q24),),
        True,
        REGISTERED,
        "pass",
        ((Q24, 2024),),
        "verified",
        (
            "FY2024 audit report with a QR verification code is used",
            "declaring its FY2025 audit not completed",
        ),
        ("申请单位声明未完成 2025 年度财务审计",),
    ),
    "declaration and only FY2024 without a QR code": Case(
        (fy(2024, None),),
        True,
        REGISTERED,
        "fail",
        (),
        "failed",
        ("FY2024 audit report carries no QR verification code",),
    ),
    "only FY2024 with a QR code, no declaration": Case(
        (fy(2024, Q24),),
        False,
        REGISTERED,
        "fail",
        (),
        "failed",
        ("counts only for a unit that has not completed its FY2025 audit",),
    ),
    "FY2025 and FY2024 both with QR codes, no declaration": Case(
        (fy(2024, Q24), fy(2025, Q25)),
        False,
        REGISTERED,
        "pass",
        ((Q25, 2025),),
        "verified",
        (
            "FY2025 audit report with a QR verification code is used",
            "FY2024 audit report counts only for a unit",
        ),
    ),
    "FY2025 and FY2024 both with QR codes and the declaration": Case(
        (fy(2025, Q25), fy(2024, Q24)), True, REGISTERED, "fail", (), "failed", ("contradict",)
    ),
    "declaration and FY2024 whose QR code is not registered": Case(
        (fy(2024, Q24),), True, {Q24: QrAnswer.NOT_REGISTERED}, "pass", ((Q24, 2024),), "failed"
    ),
    "FY2025 with an unregistered QR code is not rescued by FY2024": Case(
        (fy(2025, Q25), fy(2024, Q24)),
        False,
        {Q25: QrAnswer.NOT_REGISTERED, Q24: QrAnswer.REGISTERED},
        "pass",
        ((Q25, 2025),),
        "failed",
    ),
    "declaration and only FY2023": Case(
        (fy(2023, Q23),), True, REGISTERED, "fail", (), "failed", ("covers FY2023", "must cover FY2025")
    ),
    "declaration and no audit report": Case(
        (), True, REGISTERED, "fail", (), "failed", ("No audit report was submitted",)
    ),
    "two FY2025 reports, the first without a QR code": Case(
        (fy(2025, None), fy(2025, Q25)),
        False,
        REGISTERED,
        "pass",
        ((Q25, 2025),),
        "verified",
        (
            "FY2025 audit report with a QR verification code is used",
            "FY2025 audit report carries no QR verification code",
        ),
    ),
    "two FY2024 reports with QR codes and the declaration": Case(
        (fy(2024, Q24), fy(2024, "CPA-2024-B")),
        True,
        REGISTERED,
        "pass",
        ((Q24, 2024),),
        "verified",
        ("another FY2024 audit report is not used (the FY2024 report is)",),
    ),
}


def build(case: Case) -> AppBuilder:
    builder = AppBuilder.example().without("audit_report").declare(fy2025_audit_incomplete=case.declared)
    for report in case.reports:
        builder.with_material("audit_report", **report)
    return builder


def run(case: Case) -> VerificationResult:
    return verify(build(case).build(), qr_answers=case.answers, params=PARAMS_2026)


@pytest.mark.parametrize("name", list(CASES))
def test_the_audit_report_used_and_why_the_others_are_not(name: str) -> None:
    case = CASES[name]

    result = run(case)

    (financial,) = result.of_rule("MAT-FINANCIAL")
    assert financial.result == case.financial, financial.message_en
    queries = qr_queries(build(case).build(), params=PARAMS_2026)
    assert tuple((q.qr_code, q.fiscal_year) for q in queries) == case.asked
    assert result.outcome == case.outcome, result.failed_rules()
    for words in case.says:
        assert words in financial.message_en
    for words in case.says_zh:
        assert words in financial.message


def test_the_declaration_shows_in_what_was_observed() -> None:
    case = CASES["declaration and only FY2024 with a registered QR code"]

    (financial,) = run(case).of_rule("MAT-FINANCIAL")

    assert financial.observed == "audit_report FY2024 qr=yes; fy2025_audit_incomplete=true"


def test_without_the_field_an_application_declares_nothing() -> None:
    builder = AppBuilder.example()
    builder.data["declarations"].pop("fy2025_audit_incomplete", None)

    assert builder.build().declarations.fy2025_audit_incomplete is False
