"""Readings of the guide that decide money, filed over HTTP and checked on the real suite.

- 五(六), 声明二: an FY2024 audit report counts only when the applicant declares the FY2025
  audit not completed; an FY2025 report without its QR code is not used.
- 三(二)注 (第二批已入库服务机构（包含新增服务事项）): a contract keeps the signing window of the
  batch that admitted its own service item.
- 三(一)2: the 60% rate is for 企业 under a year old; a public institution is not one, and
  eligibility and verification agree on it.
- 三(一)2 and AMT-ANNUAL-CAP: the voucher is rounded down once, on the application's total.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.support.filing import add_refdata, application, digest, file, qr_code_of, wait_check
from tests.support.samples import applicant_block, make_uscc
from tests.support.suite import Suite

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(600)]

BLOCK = applicant_block()
FY2024, FY2025_NO_QR, FY2024_DECLARED, SECOND_BATCH, PUBLIC_YOUNG, ROUNDING = (
    make_uscc(BLOCK + n) for n in range(1, 7)
)
PROVIDER = make_uscc(BLOCK + 50, region="440304")  # batch 1 for training, batch 3 for inference


@pytest.fixture(scope="module")
def guide_suite(suite: Suite) -> Suite:
    applicants = (FY2024, FY2025_NO_QR, FY2024_DECLARED, SECOND_BATCH, PUBLIC_YOUNG, ROUNDING)
    add_refdata(
        suite,
        "audit_reports",
        [
            *({"qr_code": qr_code_of(u), "uscc": u, "fiscal_year": 2025} for u in applicants),
            *(
                {"qr_code": f"CPA-2024-{u}", "uscc": u, "fiscal_year": 2024}
                for u in (FY2024, FY2025_NO_QR, FY2024_DECLARED)
            ),
        ],
    )
    add_refdata(
        suite,
        "providers",
        [
            {
                "uscc": PROVIDER,
                "name": "深圳市新增事项算力有限公司",
                "batch": 1,
                "admissions": [{"batch": 3, "service_types": ["inference"]}],
            }
        ],
    )
    return suite


def audit_reports(app: dict[str, Any], *reports: dict[str, Any]) -> dict[str, Any]:
    app["materials"] = [m for m in app["materials"] if m["kind"] != "audit_report"] + [
        {"kind": "audit_report", "sha256": digest(str(r)), **r} for r in reports
    ]
    return app


def verdict(suite: Suite, app: dict[str, Any], check: str) -> dict[str, Any]:
    view: dict[str, Any] = wait_check(suite, file(suite, app), check)
    return view


def finding(view: dict[str, Any], check: str, rule: str, contract_no: str | None = None) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        f
        for f in view["checks"][check]["findings"]
        if f["rule"] == rule and f.get("contract_no") == contract_no
    ]
    assert len(found) == 1, found
    return found[0]


# --- 五(六), 声明二 ---------------------------------------------------------------------------


def test_an_fy2024_report_beside_an_unusable_fy2025_one_fails_without_the_declaration(
    guide_suite: Suite,
) -> None:
    app = audit_reports(
        application(FY2025_NO_QR),
        {"fiscal_year": 2025, "qr_code": None},
        {"fiscal_year": 2024, "qr_code": f"CPA-2024-{FY2025_NO_QR}"},
    )
    view = verdict(guide_suite, app, "verification")
    assert view["checks"]["verification"]["outcome"] == "failed"
    assert finding(view, "verification", "MAT-FINANCIAL")["result"] == "fail"


def test_an_fy2024_report_alone_fails_without_the_declaration(guide_suite: Suite) -> None:
    app = audit_reports(application(FY2024), {"fiscal_year": 2024, "qr_code": f"CPA-2024-{FY2024}"})
    view = verdict(guide_suite, app, "verification")
    assert finding(view, "verification", "MAT-FINANCIAL")["result"] == "fail"


def test_an_fy2024_report_counts_when_the_fy2025_audit_is_declared_not_completed(guide_suite: Suite) -> None:
    app = audit_reports(
        application(FY2024_DECLARED), {"fiscal_year": 2024, "qr_code": f"CPA-2024-{FY2024_DECLARED}"}
    )
    app["declarations"]["fy2025_audit_incomplete"] = True
    view = verdict(guide_suite, app, "verification")
    assert finding(view, "verification", "MAT-FINANCIAL")["result"] == "pass"
    assert view["checks"]["verification"]["outcome"] == "verified"


# --- 三(二)注: the window of the batch that admitted the service item -------------------------


def test_each_contract_keeps_the_window_of_the_batch_that_admitted_its_service_item(
    guide_suite: Suite,
) -> None:
    app = application(SECOND_BATCH, [("HT-TRAIN", "800000.00"), ("HT-INFER", "400000.00")])
    for contract in app["contracts"]:
        contract.update(
            provider_uscc=PROVIDER,
            signed_on="2025-06-01",
            service_start="2025-12-01",
            service_end="2026-10-31",
        )
    app["contracts"][1].update(
        service_type="inference", training_kind=None, description="阶段性训练成果的验证推理"
    )
    view = verdict(guide_suite, app, "eligibility")
    # Training was admitted in batch 1 (from 2024-12-09); inference only in batch 3 (2025-11-14).
    assert finding(view, "eligibility", "CON-SIGNING-WINDOW", "HT-TRAIN")["result"] == "pass"
    assert finding(view, "eligibility", "CON-SIGNING-WINDOW", "HT-INFER")["result"] == "fail"
    assert [c["contract_no"] for c in view["voucher"]["by_contract"]] == ["HT-TRAIN"]
    assert view["voucher"]["total_cny"] == "400000.00"


# --- 三(一)2: who gets 60%, and rounding once -----------------------------------------------


def test_a_young_public_institution_gets_the_standard_rate(guide_suite: Suite) -> None:
    app = application(PUBLIC_YOUNG)
    app["applicant"].update(public_institution=True, registered_on="2025-09-01")
    view = verdict(guide_suite, app, "eligibility")
    assert view["voucher"]["rate"] == "0.50"
    assert finding(view, "eligibility", "AMT-RATE")["observed"] == "0.50"


def test_the_voucher_is_rounded_down_once_on_the_application_total(guide_suite: Suite) -> None:
    app = application(ROUNDING, [(f"HT-R-{n}", "200000.01") for n in (1, 2, 3)])
    app["applicant"]["registered_on"] = "2025-09-01"  # a young enterprise: 60%
    view = verdict(guide_suite, app, "eligibility")
    assert view["voucher"]["rate"] == "0.60"
    # 600000.03 × 0.60 = 360000.018 → 360000.01; rounding each contract would give 360000.00.
    assert view["voucher"]["total_cny"] == "360000.01"
    shares = [Decimal(c["voucher_cny"]) for c in view["voucher"]["by_contract"]]
    assert sum(shares) == Decimal("360000.01")
