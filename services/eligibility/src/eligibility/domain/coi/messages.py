"""The findings of the conflict-of-interest check (worded in vouchers_shared.wording.coi)."""

from __future__ import annotations

from decimal import Decimal

from vouchers_shared.application import Contract
from vouchers_shared.findings import Finding, worded
from vouchers_shared.wording import say

from eligibility.domain.coi.evidence import evidence, pct_text
from eligibility.domain.coi.relations import Relation

CLAUSE = "三(一)2"
SAME_ENTITY = "COI-SAME-ENTITY"
RELATED_PARTY = "COI-RELATED-PARTY"
SUMMARIES_IN_MESSAGE = 5


def _limit(threshold: Decimal, max_hops: int) -> str:
    return f"{pct_text(threshold)}% within {max_hops} holding links"


def same_entity(contract: Contract, *, same: bool) -> Finding:
    """COI-SAME-ENTITY: the provider is not the applicant itself."""
    uscc = contract.provider_uscc
    return Finding(
        rule=SAME_ENTITY,
        clause=CLAUSE,
        result="fail" if same else "pass",
        contract_no=contract.contract_no,
        observed=uscc,
        **worded(say("COI-SAME-ENTITY.same", uscc=uscc) if same else say("COI-SAME-ENTITY.other")),
    )


def unknown_provider(contract: Contract, threshold: Decimal, max_hops: int) -> Finding:
    """COI-RELATED-PARTY held for review: nothing is known about the provider."""
    return Finding(
        rule=RELATED_PARTY,
        clause=CLAUSE,
        result="review",
        contract_no=contract.contract_no,
        observed="no holdings or officer data",
        limit=_limit(threshold, max_hops),
        **worded(say("COI-RELATED-PARTY.unknown_provider", uscc=contract.provider_uscc)),
    )


def _unrelated(contract: Contract, threshold: Decimal, max_hops: int) -> Finding:
    return Finding(
        rule=RELATED_PARTY,
        clause=CLAUSE,
        result="pass",
        contract_no=contract.contract_no,
        observed="none",
        limit=_limit(threshold, max_hops),
        **worded(say("COI-RELATED-PARTY.unrelated")),
    )


def related_party(
    contract: Contract, relations: list[Relation], threshold: Decimal, max_hops: int
) -> Finding:
    """COI-RELATED-PARTY: the provider is not a related party of the applicant."""
    if not relations:
        return _unrelated(contract, threshold, max_hops)
    paths = evidence(relations)
    text = say(
        "COI-RELATED-PARTY.related",
        name=contract.provider_name,
        uscc=contract.provider_uscc,
        paths="; ".join(p.summary for p in paths[:SUMMARIES_IN_MESSAGE]),
        more=str(max(len(paths) - SUMMARIES_IN_MESSAGE, 0)),
    )
    return Finding(
        rule=RELATED_PARTY,
        clause=CLAUSE,
        result="fail",
        contract_no=contract.contract_no,
        observed=", ".join(sorted({p.relation for p in paths})),
        limit=_limit(threshold, max_hops),
        evidence=paths,
        **worded(text),
    )
