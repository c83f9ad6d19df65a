"""MAT-CONTRACT 五(三): one service-contract document per declared contract, by contract number."""

from __future__ import annotations

from verification.domain.model import QrAnswer
from verification.domain.verify import verify
from verification_testkit import PARAMS_2026, AppBuilder

ANSWERS = {"CPA-2025-5K00010T": QrAnswer.REGISTERED}


def test_each_declared_contract_gets_its_own_passing_finding() -> None:
    findings = verify(AppBuilder.example().build(), qr_answers=ANSWERS, params=PARAMS_2026).of_rule(
        "MAT-CONTRACT"
    )

    assert [(f.contract_no, f.result) for f in findings] == [
        ("HT-A-01", "pass"),
        ("HT-A-02", "pass"),
    ]
    assert all(f.clause == "五(三)" for f in findings)


def test_a_missing_document_for_one_of_two_contracts_fails_that_contract_only() -> None:
    builder = AppBuilder.example()
    builder.data["materials"] = [m for m in builder.data["materials"] if m.get("contract_no") != "HT-A-02"]

    result = verify(builder.build(), qr_answers=ANSWERS, params=PARAMS_2026)

    assert [(f.contract_no, f.result) for f in result.of_rule("MAT-CONTRACT")] == [
        ("HT-A-01", "pass"),
        ("HT-A-02", "fail"),
    ]
    assert result.outcome == "failed"
    assert "HT-A-02" in result.of_rule("MAT-CONTRACT")[1].message


def test_a_contract_document_under_another_number_does_not_count() -> None:
    builder = AppBuilder.example().change("service_contract", contract_no="HT-X-99")

    findings = verify(builder.build(), qr_answers=ANSWERS, params=PARAMS_2026).of_rule("MAT-CONTRACT")

    assert [f.result for f in findings] == ["fail", "fail"]
