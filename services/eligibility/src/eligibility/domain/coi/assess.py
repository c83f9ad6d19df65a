"""The conflict-of-interest check of one application: every contract's provider must be a
non-affiliated party (非关联方, 三(一)2).

Per contract:
- `conflict` when the provider is the applicant itself (COI-SAME-ENTITY) or a related party
  (COI-RELATED-PARTY, every path that makes it so given as evidence);
- `review` when nothing is known about the provider: no holdings or officer data mention it,
  nothing the application declares reaches it, and it is not in the provider registry. A
  registered provider without holders or officers on file is `clear`: the registry knows it,
  and the absence of holders is itself what the data says;
- `clear` otherwise.
For a provider that is the applicant itself only COI-SAME-ENTITY is reported: the related-party
rule compares two distinct parties.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from vouchers_shared.application import Application, Contract
from vouchers_shared.events import CoiAssessed, ContractCoi
from vouchers_shared.findings import Finding

from eligibility.domain.coi import messages
from eligibility.domain.coi.graph import (
    ApplicationGraph,
    Link,
    Party,
    ReferenceGraph,
    company,
    person,
)
from eligibility.domain.coi.relations import (
    Holders,
    Relation,
    common_holders,
    direct_holdings,
    holders_through_chains,
    shared_officers,
    staff_at_provider,
)

Verdict = Literal["clear", "conflict", "review"]


@dataclass
class _Scope:
    """What is fixed for one application: its graph view, parameters and applicant side."""

    graph: ApplicationGraph
    applicant: Party
    staff: frozenset[Party]
    registered: frozenset[str]
    threshold: Decimal
    max_hops: int
    applicant_holders: Holders
    applicant_roles: list[Link]
    by_provider: dict[str, list[Relation]] = field(default_factory=dict)

    def relations_with(self, provider: Party) -> list[Relation]:
        """Every path relating the applicant to this provider (computed once per provider)."""
        if provider[1] not in self.by_provider:
            self.by_provider[provider[1]] = self._find(provider)
        return self.by_provider[provider[1]]

    def _find(self, provider: Party) -> list[Relation]:
        of_provider = holders_through_chains(self.graph, provider, self.max_hops)
        provider_roles = self.graph.roles_at(provider)
        ends = (self.applicant, provider)
        return [
            *direct_holdings(self.applicant, of_provider, self.threshold, "holds"),
            *direct_holdings(provider, self.applicant_holders, self.threshold, "held_by"),
            *common_holders(ends, self.applicant_holders, of_provider, self.threshold),
            *shared_officers(self.applicant_roles, provider_roles),
            *staff_at_provider(self.staff, self.applicant_roles, provider_roles),
        ]


def assess_conflicts(
    application: Application,
    *,
    application_id: str,
    graph: ReferenceGraph,
    registered_providers: frozenset[str],
    threshold_pct: Decimal,
    max_hops: int,
    assessed_at: datetime,
) -> CoiAssessed:
    """Assess each contract's provider against the applicant: COI-SAME-ENTITY, COI-RELATED-PARTY."""
    return assess_in(
        graph.overlay(application, application_id),
        application,
        application_id=application_id,
        registered_providers=registered_providers,
        threshold_pct=threshold_pct,
        max_hops=max_hops,
        assessed_at=assessed_at,
    )


def assess_in(
    graph: ApplicationGraph,
    application: Application,
    *,
    application_id: str,
    registered_providers: frozenset[str],
    threshold_pct: Decimal,
    max_hops: int,
    assessed_at: datetime,
) -> CoiAssessed:
    """As `assess_conflicts`, on an application graph already built (its `visited` shows reach)."""
    scope = _scope(graph, application, registered_providers, threshold_pct, max_hops)
    verdicts: list[ContractCoi] = []
    findings: list[Finding] = []
    for contract in application.contracts:
        verdict, found = _assess_contract(scope, contract)
        verdicts.append(_contract_coi(contract, verdict))
        findings += found
    return CoiAssessed(
        application_id=application_id,
        applicant_uscc=application.applicant.uscc,
        outcome=_overall([v.outcome for v in verdicts]),
        contracts=verdicts,
        findings=findings,
        refdata_versions=graph.reference.versions,
        assessed_at=assessed_at,
    )


def _scope(
    graph: ApplicationGraph,
    application: Application,
    registered: frozenset[str],
    threshold: Decimal,
    max_hops: int,
) -> _Scope:
    if max_hops < 1:
        raise ValueError("related_party_max_hops must be at least 1")
    applicant = company(application.applicant.uscc)
    project = application.project
    return _Scope(
        graph=graph,
        applicant=applicant,
        staff=frozenset(person(s.person_id) for s in (project.lead, *project.members)),
        registered=registered,
        threshold=threshold,
        max_hops=max_hops,
        applicant_holders=holders_through_chains(graph, applicant, max_hops),
        applicant_roles=graph.roles_at(applicant),
    )


def _assess_contract(scope: _Scope, contract: Contract) -> tuple[Verdict, list[Finding]]:
    provider = company(contract.provider_uscc)
    if provider == scope.applicant:
        return "conflict", [messages.same_entity(contract, same=True)]
    findings = [messages.same_entity(contract, same=False)]
    known = scope.graph.knows(provider) or contract.provider_uscc in scope.registered
    if not known:
        return "review", [
            *findings,
            messages.unknown_provider(contract, scope.threshold, scope.max_hops),
        ]
    relations = scope.relations_with(provider)
    findings.append(messages.related_party(contract, relations, scope.threshold, scope.max_hops))
    return ("conflict" if relations else "clear"), findings


def _contract_coi(contract: Contract, verdict: Verdict) -> ContractCoi:
    return ContractCoi(
        contract_no=contract.contract_no, provider_uscc=contract.provider_uscc, outcome=verdict
    )


def _overall(verdicts: list[Verdict]) -> Verdict:
    if "conflict" in verdicts:
        return "conflict"
    return "review" if "review" in verdicts else "clear"
