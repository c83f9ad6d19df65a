"""The findings of the conflict-of-interest check, worded in Chinese and English."""

from __future__ import annotations

from decimal import Decimal

from vouchers_shared.application import Contract
from vouchers_shared.findings import Finding

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
    if same:
        return Finding(
            rule=SAME_ENTITY,
            clause=CLAUSE,
            result="fail",
            contract_no=contract.contract_no,
            observed=uscc,
            message=f"服务机构即申请单位本身（{uscc}），向自身租用算力不属于向非关联方租用",
            message_en=(
                f"the provider is the applicant itself ({uscc}); compute rented from oneself "
                "is not rented from a non-affiliated party"
            ),
        )
    return Finding(
        rule=SAME_ENTITY,
        clause=CLAUSE,
        result="pass",
        contract_no=contract.contract_no,
        observed=uscc,
        message="服务机构不是申请单位本身",
        message_en="the provider is not the applicant itself",
    )


def unknown_provider(contract: Contract, threshold: Decimal, max_hops: int) -> Finding:
    """COI-RELATED-PARTY held for review: nothing is known about the provider."""
    uscc = contract.provider_uscc
    return Finding(
        rule=RELATED_PARTY,
        clause=CLAUSE,
        result="review",
        contract_no=contract.contract_no,
        observed="no holdings or officer data",
        limit=_limit(threshold, max_hops),
        message=(
            f"参考数据中没有服务机构（{uscc}）的股权或任职信息，申请材料也未涉及，且其不在服务机构库中，"
            "需人工核实其是否为申请单位的关联方"
        ),
        message_en=(
            f"no holdings or officer data mention the provider ({uscc}), the application "
            "declares nothing about it and it is not a registered provider: whether it is a "
            "related party needs an operator's review"
        ),
    )


def _unrelated(contract: Contract, threshold: Decimal, max_hops: int) -> Finding:
    return Finding(
        rule=RELATED_PARTY,
        clause=CLAUSE,
        result="pass",
        contract_no=contract.contract_no,
        observed="none",
        limit=_limit(threshold, max_hops),
        message="未发现服务机构与申请单位之间的关联关系",
        message_en="no related-party path found between the applicant and the provider",
    )


def related_party(
    contract: Contract, relations: list[Relation], threshold: Decimal, max_hops: int
) -> Finding:
    """COI-RELATED-PARTY: the provider is not a related party of the applicant."""
    if not relations:
        return _unrelated(contract, threshold, max_hops)
    paths = evidence(relations)
    shown = "; ".join(p.summary for p in paths[:SUMMARIES_IN_MESSAGE])
    more = len(paths) - SUMMARIES_IN_MESSAGE
    zh_more, en_more = (f"；另有 {more} 条", f"; and {more} more") if more > 0 else ("", "")
    return Finding(
        rule=RELATED_PARTY,
        clause=CLAUSE,
        result="fail",
        contract_no=contract.contract_no,
        observed=", ".join(sorted({p.relation for p in paths})),
        limit=_limit(threshold, max_hops),
        message=(
            f"服务机构{contract.provider_name}（{contract.provider_uscc}）是申请单位的关联方，"
            f"不属于非关联方：{shown}{zh_more}"
        ),
        message_en=(
            f"the provider {contract.provider_name} ({contract.provider_uscc}) is a related "
            f"party of the applicant, not a non-affiliated party: {shown}{en_more}"
        ),
        evidence=paths,
    )
