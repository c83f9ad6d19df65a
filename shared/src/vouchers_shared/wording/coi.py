"""Wordings of the conflict-of-interest findings (COI-*)."""

from __future__ import annotations

from vouchers_shared.wording.registry import wording


@wording("COI-SAME-ENTITY.same")
def _same(*, uscc: str) -> tuple[str, str]:
    return (
        f"服务机构即申请单位本身（{uscc}），向自身租用算力不属于向非关联方租用",
        f"the provider is the applicant itself ({uscc}); compute rented from oneself "
        "is not rented from a non-affiliated party",
    )


@wording("COI-SAME-ENTITY.other")
def _other() -> tuple[str, str]:
    return "服务机构不是申请单位本身", "the provider is not the applicant itself"


@wording("COI-RELATED-PARTY.unknown_provider")
def _unknown_provider(*, uscc: str) -> tuple[str, str]:
    return (
        f"参考数据中没有服务机构（{uscc}）的股权或任职信息，申请材料也未涉及，且其不在服务机构库中，"
        "需人工核实其是否为申请单位的关联方",
        f"no holdings or officer data mention the provider ({uscc}), the application "
        "declares nothing about it and it is not a registered provider: whether it is a "
        "related party needs an operator's review",
    )


@wording("COI-RELATED-PARTY.unrelated")
def _unrelated() -> tuple[str, str]:
    return (
        "未发现服务机构与申请单位之间的关联关系",
        "no related-party path found between the applicant and the provider",
    )


@wording("COI-RELATED-PARTY.no_verdict")
def _coi_no_verdict() -> tuple[str, str]:
    return (
        "未收到该合同的关联关系审查结论，需人工核实服务机构是否为关联方。",
        "No conflict-of-interest verdict for this contract; an operator must check that the "
        "provider is not a related party.",
    )


@wording("COI-RELATED-PARTY.related")
def _related(*, name: str, uscc: str, paths: str, more: str = "0") -> tuple[str, str]:
    """`paths`: the first evidence paths' summaries; `more`: how many others there are."""
    extra = int(more)
    zh_more, en_more = (f"；另有 {extra} 条", f"; and {extra} more") if extra > 0 else ("", "")
    return (
        f"服务机构{name}（{uscc}）是申请单位的关联方，不属于非关联方：{paths}{zh_more}",
        f"the provider {name} ({uscc}) is a related party of the applicant, not a non-affiliated "
        f"party: {paths}{en_more}",
    )
