"""The material rules' ids and clauses, in the order findings are listed, and a finding maker."""

from __future__ import annotations

from typing import Final

from vouchers_shared.findings import Finding, Result, worded
from vouchers_shared.wording import Text

from verification.domain.model import VerificationOutcome

RULES: Final[tuple[tuple[str, str], ...]] = (
    ("MAT-APPLICATION-FORM", "五(一)"),
    ("MAT-LICENSE", "五(二)"),
    ("MAT-CONTRACT", "五(三)"),
    ("MAT-SCENARIO", "五(四)"),
    ("MAT-PERSONNEL", "五(五)"),
    ("MAT-FINANCIAL", "五(六); 声明二"),
    ("MAT-AUDIT-QR", "声明二"),
    ("MAT-TAX", "五(七)"),
    ("MAT-COMMITMENT", "五(八)"),
    ("MAT-AUDIT-CONSENT", "五(九)"),
    ("MAT-ETHICS", "五(十)"),
)
CLAUSES: Final[dict[str, str]] = dict(RULES)
RULE_IDS: Final[tuple[str, ...]] = tuple(rule for rule, _ in RULES)


def finding(
    rule: str,
    result: Result,
    text: Text,
    *,
    observed: str | None = None,
    limit: str | None = None,
    contract_no: str | None = None,
) -> Finding:
    """A finding of one material rule, citing the rule's clause, worded by `text`."""
    return Finding(
        rule=rule,
        clause=CLAUSES[rule],
        result=result,
        contract_no=contract_no,
        observed=observed,
        limit=limit,
        **worded(text),
    )


def outcome_of(findings: list[Finding]) -> VerificationOutcome:
    """verified when all pass; failed on any fail; else pending before review."""
    results = {f.result for f in findings}
    if "fail" in results:
        return "failed"
    if "pending" in results:
        return "pending"
    if "review" in results:
        return "review"
    return "verified"
