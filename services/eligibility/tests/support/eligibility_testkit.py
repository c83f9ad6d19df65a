"""Factories for the rule book's tests: valid applications, reference data, a COI answer."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal

from eligibility.domain.rulebook import EligibilityRefs, LedgerView, Verdict, assess
from stdnum.cn.uscc import calc_check_digit
from vouchers_shared.application import Application
from vouchers_shared.events import CoiAssessed, ContractCoi
from vouchers_shared.findings import Finding, worded
from vouchers_shared.program import load_program
from vouchers_shared.refdata import ProviderBatches, ProviderItem, provider_register
from vouchers_shared.wording import say

PARAMS = load_program(2026)
CST = timezone(timedelta(hours=8))
IN_WINDOW = datetime(2026, 5, 20, 10, 0, tzinfo=CST)


def make_uscc(region: str, n: int, authority: str = "91") -> str:
    """A credit code with a valid check digit (GB 32100-2015) for a region code and a number."""
    body = f"{authority}{region}MA{n:07d}"
    return body + calc_check_digit(body)


APPLICANT = make_uscc("440305", 100)
PROVIDER_1 = make_uscc("440304", 1)
PROVIDER_2 = make_uscc("440305", 2)
PROVIDER_3 = make_uscc("440306", 3)
UNREGISTERED = make_uscc("440307", 9)


def registered(*rows: dict[str, Any]) -> dict[str, ProviderBatches]:
    """The provider register of `providers` reference-data rows, as the service builds it."""
    return provider_register([ProviderItem.model_validate({"name": "服务机构", **r}) for r in rows])


PROVIDERS = registered(
    {"uscc": PROVIDER_1, "batch": 1}, {"uscc": PROVIDER_2, "batch": 2}, {"uscc": PROVIDER_3, "batch": 3}
)
BATCH_PROVIDER = {1: PROVIDER_1, 2: PROVIDER_2, 3: PROVIDER_3}
SHA = "0" * 64


def contract(**changes: Any) -> dict[str, Any]:
    """A contract with a batch-1 provider that passes every contract rule, as filed JSON."""
    base: dict[str, Any] = {
        "contract_no": "HT-001",
        "provider_uscc": PROVIDER_1,
        "provider_name": "深圳市甲算力服务有限公司",
        "signed_on": "2026-01-15",
        "service_start": "2026-02-01",
        "service_end": "2026-10-31",
        "amount_cny": "1200000.00",
        "service_type": "training",
        "training_kind": "sft",
        "description": "租用智能算力开展大模型有监督微调",
        "other_public_funding_cny": "0.00",
    }
    return {**base, **changes}


_STAFF = {"name": "某人", "qualification": "doctorate", "full_time_in_shenzhen": True}
_BASE: dict[str, Any] = {
    "program_year": 2026,
    "applicant": {
        "name": "深圳市示例智算科技有限公司",
        "uscc": APPLICANT,
        "org_type": "enterprise",
        "independent_legal_person": True,
        "public_institution": False,
        "registered_on": "2019-06-18",
        "registered_district": "南山区",
        "legal_representative": {"person_id": "lr-1", "name": "张三"},
        "contact": {"name": "联系人", "email": "contact@example.cn", "mobile": "13800000000"},
    },
    "project": {
        "title": "面向制造业质检的视觉大模型训练",
        "lead": {"person_id": "lead-1", **_STAFF},
        "members": [{"person_id": "m-1", **_STAFF}, {"person_id": "m-2", **_STAFF}],
        "ethics_or_safety_involved": False,
    },
    "declarations": {"self_filed": True, "filed_by_project_lead": True, "truthful": True},
    "materials": [{"kind": "application_form", "sha256": SHA}],
}


def application(
    *,
    contracts: list[dict[str, Any]] | None = None,
    materials: list[dict[str, Any]] | None = None,
    **sections: dict[str, Any],
) -> Application:
    """A valid application; `applicant=`, `project=`, `declarations=` change single fields."""
    data = copy.deepcopy(_BASE)
    for name, changes in sections.items():
        data[name].update(changes)
    data["contracts"] = contracts if contracts is not None else [contract()]
    if materials is not None:
        data["materials"] = materials
    return Application.model_validate(data)


CoiOutcome = Literal["clear", "conflict", "review"]


def coi_answer(
    app: Application,
    outcomes: dict[str, CoiOutcome] | None = None,
    findings: list[Finding] | None = None,
) -> CoiAssessed:
    """The COI check's answer: every contract clear unless named in `outcomes`."""
    outcomes = outcomes or {}
    per_contract = [
        ContractCoi(
            contract_no=c.contract_no,
            provider_uscc=c.provider_uscc,
            outcome=outcomes.get(c.contract_no, "clear"),
        )
        for c in app.contracts
    ]
    worst: CoiOutcome = "clear"
    for o in ("review", "conflict"):
        if any(p.outcome == o for p in per_contract):
            worst = o
    return CoiAssessed(
        application_id="app-1",
        applicant_uscc=app.applicant.uscc,
        outcome=worst,
        contracts=per_contract,
        findings=findings or [],
        assessed_at=IN_WINDOW,
    )


def coi_finding(rule: str, result: Literal["pass", "fail", "review"], contract_no: str) -> Finding:
    """A finding as the COI check would report it."""
    text = {
        "pass": say("COI-RELATED-PARTY.unrelated"),
        "fail": say("COI-RELATED-PARTY.related", name="P", uscc="U", paths="applicant —35.00%→ provider"),
        "review": say("COI-RELATED-PARTY.unknown_provider", uscc="U"),
    }[result]
    return Finding(rule=rule, clause="三(一)2", result=result, contract_no=contract_no, **worded(text))


def refs(**changes: Any) -> EligibilityRefs:
    """Reference data with the three sample providers registered."""
    return EligibilityRefs(**{"providers": PROVIDERS, **changes})


def run(
    app: Application,
    *,
    submitted_at: datetime = IN_WINDOW,
    coi: CoiAssessed | None = None,
    references: EligibilityRefs | None = None,
    ledger: LedgerView | None = None,
) -> Verdict:
    """The rule book over one application, everything else clear and empty unless given."""
    return assess(
        app,
        application_id="app-1",
        submitted_at=submitted_at,
        coi=coi if coi is not None else coi_answer(app),
        refs=references if references is not None else refs(),
        ledger_room=ledger if ledger is not None else LedgerView(),
        params=PARAMS,
    )


def finding(verdict: Verdict, rule: str, contract_no: str | None = None) -> Finding:
    """The single finding of one rule (for one contract)."""
    found = [f for f in verdict.findings if f.rule == rule and f.contract_no == contract_no]
    assert len(found) == 1, f"{rule}/{contract_no}: {len(found)} findings"
    return found[0]


def voucher_by_contract(verdict: Verdict) -> dict[str, Decimal]:
    """Each contract's voucher amount."""
    assert verdict.voucher is not None
    return {c.contract_no: c.voucher_cny for c in verdict.voucher.by_contract}
