"""The rule book: every rule over one application, the voucher it earns, and the outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict
from vouchers_shared.application import Application, Contract
from vouchers_shared.events import ContractCoi, Voucher
from vouchers_shared.findings import Finding
from vouchers_shared.program import ProgramParams
from vouchers_shared.refdata import ProviderBatches
from vouchers_shared.types import Money
from vouchers_shared.wording import say

from eligibility.domain.amounts import (
    ZERO,
    Allocation,
    Room,
    allocate,
    annual_cap,
    applicable_rate,
    deduction_rate,
    min_spend,
)
from eligibility.domain.applicant_rules import applicant_findings
from eligibility.domain.contract_rules import (
    ContractKey,
    contract_findings,
    contract_key,
    repeated_keys,
)
from eligibility.domain.outcome import Outcome, to_finding

Decision = Literal["pass", "fail", "review"]
COI_CLAUSE = "三(一)2"  # 非关联方, as the conflict-of-interest check cites it


class ProgramMismatchError(ValueError):
    """The application is for another program year than the parameters loaded."""


class CoiInput(Protocol):
    """The conflict-of-interest check's answer (a CoiAssessed event fits)."""

    @property
    def contracts(self) -> Sequence[ContractCoi]: ...

    @property
    def findings(self) -> Sequence[Finding]: ...


@dataclass(frozen=True)
class EligibilityRefs:
    """Reference data for one assessment: providers, restrictions, prior years, contracts."""

    providers: Mapping[str, ProviderBatches] = field(default_factory=dict)
    """Registered provider USCC → the batch in which each of its service items was admitted."""
    restrictions: Mapping[str, Set[str]] = field(default_factory=dict)
    """USCC → names of the restriction lists it is on."""
    prior_year_unredeemed: Mapping[str, Decimal] = field(default_factory=dict)
    """USCC → last program year's unredeemed voucher amount."""
    declared_contracts: Set[ContractKey] = frozenset()
    """(provider USCC, contract no) in the applicant's other live applications this year."""


@dataclass(frozen=True)
class LedgerView:
    """The applicant's yearly ledger as it stands before this application."""

    prior_unredeemed_cny: Decimal = ZERO
    reserved_or_granted_cny: Decimal = ZERO


class Verdict(BaseModel):
    """The rule book's answer: the outcome, every finding, the voucher, what to reserve."""

    model_config = ConfigDict(frozen=True)

    application_id: str
    outcome: Decision
    findings: list[Finding]
    voucher: Voucher | None
    reserve_cny: Money

    def failed_rules(self) -> list[str]:
        """The ids of the rules that failed, each once, in the order of the findings."""
        return list(dict.fromkeys(f.rule for f in self.findings if f.result == "fail"))


@dataclass(frozen=True)
class _Screened:
    contract: Contract
    findings: list[Finding]
    counted: bool
    held: bool


def assess(
    application: Application,
    *,
    application_id: str,
    submitted_at: datetime,
    coi: CoiInput,
    refs: EligibilityRefs,
    ledger_room: LedgerView,
    params: ProgramParams,
) -> Verdict:
    """Apply every applicant, contract and amount rule to one application."""
    _same_year(application, params)
    applicant = applicant_findings(
        application,
        submitted_at=submitted_at,
        providers=refs.providers,
        restrictions=refs.restrictions,
        params=params,
    )
    screened, unmatched_coi = _screen_contracts(application, coi, refs, params)
    counted = [s.contract for s in screened if s.counted]
    room = _room(application, refs, ledger_room, params)
    alloc = allocate(counted, applicable_rate(application.applicant, params), room.left)
    amounts = [
        deduction_rate(application, params),
        min_spend(alloc.eligible_spend, len(counted), params),
        annual_cap(alloc, room, params),
    ]
    outcome = _decide(applicant + amounts, held=any(s.held for s in screened))
    # A review keeps its proposed voucher (for the operator) but reserves nothing until settled.
    voucher = None if outcome == "fail" else _voucher(alloc)
    return Verdict(
        application_id=application_id,
        outcome=outcome,
        findings=[*applicant, *(f for s in screened for f in s.findings), *unmatched_coi, *amounts],
        voucher=voucher,
        reserve_cny=alloc.total if outcome == "pass" else ZERO,
    )


def _same_year(app: Application, params: ProgramParams) -> None:
    if app.program_year != params.program_year:
        raise ProgramMismatchError(
            f"application is for {app.program_year}, parameters for {params.program_year}"
        )


def _decide(deciding: list[Finding], *, held: bool) -> Decision:
    # Contract findings do not decide by themselves: a failing contract is only left out, and
    # the amount rules then judge what is left.
    if any(f.result == "fail" for f in deciding):
        return "fail"
    if held or any(f.result == "review" for f in deciding):
        return "review"
    return "pass"


def _room(app: Application, refs: EligibilityRefs, ledger: LedgerView, params: ProgramParams) -> Room:
    # The ledger keeps the prior-year figure it was opened with; an operator may have loaded a
    # newer one since. The larger of the two is used, so a lag between them never over-grants.
    prior = max(ledger.prior_unredeemed_cny, refs.prior_year_unredeemed.get(app.applicant.uscc, ZERO))
    return Room(params.annual_cap_cny, prior, ledger.reserved_or_granted_cny)


def _voucher(alloc: Allocation) -> Voucher:
    return Voucher(
        rate=alloc.rate,
        eligible_spend_cny=alloc.eligible_spend,
        total_cny=alloc.total,
        by_contract=list(alloc.by_contract),
    )


def _screen_contracts(
    app: Application, coi: CoiInput, refs: EligibilityRefs, params: ProgramParams
) -> tuple[list[_Screened], list[Finding]]:
    """Each contract's rule findings and COI findings, whether it counts, whether it is held."""
    verdicts = {(v.provider_uscc, v.contract_no): v.outcome for v in coi.contracts}
    coi_findings: dict[str | None, list[Finding]] = {}
    for f in coi.findings:
        coi_findings.setdefault(f.contract_no, []).append(f)
    repeated = repeated_keys(app.contracts)
    screened: list[_Screened] = []
    for c in app.contracts:
        rules = contract_findings(
            c,
            providers=refs.providers,
            declared_elsewhere=refs.declared_contracts,
            repeated_here=repeated,
            params=params,
        )
        coi_here = coi_findings.pop(c.contract_no, [])
        verdict = verdicts.get(contract_key(c))
        if verdict is None:
            coi_here = [*coi_here, _coi_missing(c.contract_no)]
        worst = _coi_worst(verdict, coi_here)
        counted = all(f.result == "pass" for f in rules) and worst != "conflict"
        # A COI review holds the application only for a contract that would count: for one
        # already left out by a contract rule, the operator's answer would change nothing.
        screened.append(_Screened(c, rules + coi_here, counted, counted and worst == "review"))
    return screened, [f for group in coi_findings.values() for f in group]


def _coi_worst(verdict: str | None, findings: list[Finding]) -> str:
    # The verdict and the findings should agree; when they do not, the worse one counts.
    results = {f.result for f in findings}
    if verdict == "conflict" or "fail" in results:
        return "conflict"
    if verdict != "clear" or results - {"pass"}:
        return "review"
    return "clear"


def _coi_missing(contract_no: str) -> Finding:
    # No verdict for a contract means nobody has shown the provider is not related: an
    # operator looks, rather than the contract being counted or refused unchecked.
    out = Outcome.review(say("COI-RELATED-PARTY.no_verdict"))
    return to_finding("COI-RELATED-PARTY", COI_CLAUSE, out, contract_no)
