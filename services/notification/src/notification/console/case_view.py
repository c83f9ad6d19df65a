"""One case as the case page shows it: applicant and contracts, how the voucher was computed,
every finding of every check with its evidence, materials and the audit QR result.

Built from the case as notification keeps it (verdicts, findings, voucher) and the application
as filed, which intake answers (`GET /v1/applications/{id}`, field `application`); without the
latter the page still shows everything the case itself knows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from vouchers_shared.events import Voucher
from vouchers_shared.findings import Finding

from notification.console.evidence import Graph, layout
from notification.domain.case import Case
from notification.domain.verdicts import CHECKS

RATE_RULE, CAP_RULE = "AMT-RATE", "AMT-ANNUAL-CAP"
COI_RULES = frozenset({"COI-SAME-ENTITY", "COI-RELATED-PARTY"})


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    graphs: tuple[Graph, ...]


@dataclass(frozen=True)
class CheckView:
    check: str
    outcome: str
    findings: tuple[FindingRow, ...]


@dataclass(frozen=True)
class AmountView:
    voucher: Voucher
    rate: Finding | None
    cap: Finding | None

    @property
    def capped(self) -> bool:
        """The cap (the room left this year) cut the amount the rate gives."""
        if self.cap is None or self.cap.observed is None:
            return False
        return Decimal(self.cap.observed) > self.voucher.total_cny


@dataclass(frozen=True)
class ContractView:
    contract_no: str
    filed: Mapping[str, Any]  # as filed; empty when intake did not answer
    voucher_cny: Decimal | None
    failed_rules: tuple[str, ...]  # contract rules it failed: left out of the voucher


def names(filed: Mapping[str, Any] | None) -> dict[str, str]:
    """Who each party id on an evidence path is, as far as the filed application says."""
    if not filed:
        return {}
    applicant, project = filed.get("applicant", {}), filed.get("project", {})
    known = {applicant.get("uscc", ""): applicant.get("name", "")}
    known |= {c["provider_uscc"]: c["provider_name"] for c in filed.get("contracts", [])}
    known |= {s["holder_id"]: s["name"] for s in applicant.get("shareholders", [])}
    people = [
        applicant.get("legal_representative"),
        *applicant.get("officers", []),
        project.get("lead"),
        *project.get("members", []),
    ]
    known |= {p["person_id"]: p["name"] for p in people if p}
    return {k: v for k, v in known.items() if k and v}


def checks(case: Case, filed: Mapping[str, Any] | None) -> tuple[CheckView, ...]:
    """Every check in a fixed order, every finding listed, passed ones too."""
    known = names(filed)
    providers = frozenset(c["provider_uscc"] for c in (filed or {}).get("contracts", []))
    views = []
    for name in CHECKS:
        verdict = case.verdicts.get(name)
        if verdict is None:
            views.append(CheckView(name, "pending", ()))
            continue
        rows = tuple(
            FindingRow(f, tuple(layout(p, known, case.applicant_uscc, providers) for p in f.evidence))
            for f in verdict.findings
        )
        views.append(CheckView(name, verdict.outcome, rows))
    return tuple(views)


def _finding(case: Case, rule: str) -> Finding | None:
    verdict = case.verdicts.get("eligibility")
    found = [f for f in verdict.findings if f.rule == rule] if verdict else []
    return found[0] if found else None


def amount(case: Case) -> AmountView | None:
    """The voucher with the two findings that explain it: the rate and the yearly room."""
    if case.voucher is None:
        return None
    return AmountView(case.voucher, _finding(case, RATE_RULE), _finding(case, CAP_RULE))


def contracts(case: Case, filed: Mapping[str, Any] | None) -> tuple[ContractView, ...]:
    """The contracts as filed, each with its share of the voucher and the rules it failed."""
    shares = {c.contract_no: c.voucher_cny for c in case.voucher.by_contract} if case.voucher else {}
    failed: dict[str, list[str]] = {}
    for verdict in case.verdicts.values():
        for f in verdict.findings:
            if f.contract_no and f.result == "fail":
                failed.setdefault(f.contract_no, []).append(f.rule)
    listed = list((filed or {}).get("contracts", []))
    numbers = [c["contract_no"] for c in listed] or sorted({*shares, *failed})
    by_no = {c["contract_no"]: c for c in listed}
    return tuple(
        ContractView(no, by_no.get(no, {}), shares.get(no), tuple(dict.fromkeys(failed.get(no, []))))
        for no in numbers
    )


def materials(filed: Mapping[str, Any] | None) -> tuple[Mapping[str, Any], ...]:
    return tuple((filed or {}).get("materials", []))


def material_findings(case: Case) -> tuple[Finding, ...]:
    """Verification's findings (MAT-*), the audit QR result among them."""
    verdict = case.verdicts.get("verification")
    return verdict.findings if verdict else ()


def rules_held(case: Case) -> tuple[str, ...]:
    """The rules a rejection on review can rest on: those not passed, in check order."""
    found = [
        f.rule
        for name in CHECKS
        if (v := case.verdicts.get(name))
        for f in v.findings
        if f.result in ("fail", "review")
    ]
    return tuple(dict.fromkeys(found))


def note_with_rules(note: str, rules: Sequence[str]) -> str:
    """The operator's note, naming the rules a rejection rests on."""
    return f"{note.strip()}（依据规则 rules: {', '.join(rules)}）" if rules else note.strip()
