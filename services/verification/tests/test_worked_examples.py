"""The shared worked examples, verified with QR answers from the sample reference data."""

from __future__ import annotations

import pytest
from verification.adapters.cpa_platform import RefdataCpaPlatform, collect_answers
from verification.domain.financial import qr_queries
from verification.domain.model import VerificationResult
from verification.domain.verify import verify
from verification_testkit import PARAMS_2026, load_example
from vouchers_shared.application import Application
from vouchers_shared.refdata import AuditReportItem
from vouchers_shared.wording import registered


async def verify_example(name: str) -> VerificationResult:
    refdata = load_example("refdata")
    platform = RefdataCpaPlatform.from_items(
        AuditReportItem.model_validate(item) for item in refdata["audit_reports"]
    )
    application = Application.model_validate(load_example(name)["application"])
    answers = await collect_answers(platform, qr_queries(application, params=PARAMS_2026))
    return verify(application, qr_answers=answers, params=PARAMS_2026)


@pytest.mark.parametrize(
    "name", ["approvable", "yearly-cap", "young-enterprise", "below-threshold", "related-provider"]
)
async def test_examples_with_complete_materials_are_verified(name: str) -> None:
    result = await verify_example(name)

    assert result.outcome == "verified", result.failed_rules()


async def test_the_example_without_an_audit_consent_fails_on_that_rule_alone() -> None:
    result = await verify_example("missing-audit-consent")

    assert result.outcome == "failed"
    assert result.failed_rules() == ["MAT-AUDIT-CONSENT"]
    [consent] = result.of_rule("MAT-AUDIT-CONSENT")
    assert consent.clause == "五(九)"
    assert "训力审计同意书" in consent.message


@pytest.mark.parametrize(
    "name",
    [
        "approvable",
        "yearly-cap",
        "young-enterprise",
        "below-threshold",
        "related-provider",
        "missing-audit-consent",
    ],
)
async def test_material_rules_expected_to_fail_in_each_example_are_exactly_those_failing(
    name: str,
) -> None:
    expected = [r for r in load_example(name)["expect"]["failed_rules"] if r.startswith("MAT-")]

    assert (await verify_example(name)).failed_rules() == expected


@pytest.mark.parametrize("name", ["approvable", "missing-audit-consent", "young-enterprise"])
async def test_every_finding_travels_as_a_registered_wording_with_short_figures(name: str) -> None:
    result = await verify_example(name)

    for f in result.findings:
        assert f.text in registered(), f.text
        assert all(len(v) <= 64 for v in f.args.values()), f.args
        assert f.message
        assert f.message_en
        assert f.text not in f.message
