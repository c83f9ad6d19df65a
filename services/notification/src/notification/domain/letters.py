"""Approval and rejection letters in Chinese, as plain text and HTML."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from vouchers_shared.disclosure import PeopleMask
from vouchers_shared.findings import Finding

from notification.domain.templating import amount_in_capitals, amount_in_figures, environment

LetterKind = Literal["approval", "rejection"]

# 五 特别提醒: what the applicant must be able to show when the voucher is redeemed.
REDEMPTION_EVIDENCE = (
    "申请单位应在训力券兑现时配合提供AI大模型训练、推理基本情况、应用场景等已完成算力服务的证明材料。"
)


@dataclass(frozen=True)
class Attempt:
    """One send of a letter through one channel, as it is logged: `delivered_via` names the
    channel that delivered it (None when the send failed)."""

    entry: dict[str, Any]
    delivered_via: str | None


@dataclass(frozen=True)
class RoundEnd:
    """How one letter's sending round ended: the fields it sets (sent, or the next attempt;
    none for a letter the round did not try) and its last attempt, logged as the round ends."""

    letter_id: str
    fields: dict[str, Any]
    last: Attempt | None = None

    @property
    def sent(self) -> bool:
        return bool(self.fields.get("sent"))


class Letter(BaseModel):
    """One letter to one applicant; `decision_id` identifies it across resends."""

    model_config = ConfigDict(frozen=True)

    kind: LetterKind
    decision_id: str
    application_id: str
    to: str
    subject: str
    text: str
    html: str


def _render(kind: LetterKind, subject: str, context: dict[str, Any]) -> tuple[str, str]:
    env = environment()
    context = {**context, "subject": subject}
    text = env.get_template(f"{kind}.txt.j2").render(context)
    html = env.get_template(f"{kind}.html.j2").render(context)
    return text, html


def render_approval(
    *,
    decision_id: str,
    application_id: str,
    applicant_name: str,
    project_title: str,
    amount_cny: Decimal,
    granted_on: date,
    to: str,
) -> Letter:
    """The approval letter (批准文件): the voucher in figures and capitals, and its grant date."""
    if amount_cny <= 0:
        raise ValueError(f"an approval needs a voucher above zero, got {amount_cny}")
    subject = f"深圳市训力券批准通知（申请编号：{application_id}）"
    text, html = _render(
        "approval",
        subject,
        {
            "application_id": application_id,
            "applicant_name": applicant_name,
            "project_title": project_title,
            "figures": amount_in_figures(amount_cny),
            "capitals": amount_in_capitals(amount_cny),
            "granted_on": granted_on,
            "redemption_evidence": REDEMPTION_EVIDENCE,
        },
    )
    return Letter(
        kind="approval",
        decision_id=decision_id,
        application_id=application_id,
        to=to,
        subject=subject,
        text=text,
        html=html,
    )


def render_rejection(
    *,
    decision_id: str,
    application_id: str,
    applicant_name: str,
    project_title: str,
    failed_rules: Sequence[Finding],
    reasons: Sequence[str],
    decided_on: date,
    to: str,
    own_people: Collection[str],
) -> Letter:
    """The rejection letter: every failed rule with its rule id, clause and reason.

    It goes to the applicant, so it shows the findings as the applicant may read them: its
    `own_people` (those its application declares) in full, anyone else masked.
    """
    if not failed_rules and not reasons:
        raise ValueError("a rejection letter must give at least one failed rule or reason")
    shown = PeopleMask(own_people).findings(f.model_dump(mode="json") for f in failed_rules)
    subject = f"深圳市训力券申请结果通知（申请编号：{application_id}）"
    text, html = _render(
        "rejection",
        subject,
        {
            "application_id": application_id,
            "applicant_name": applicant_name,
            "project_title": project_title,
            "failed_rules": [Finding.model_validate(f) for f in shown],
            "reasons": list(reasons),
            "decided_on": decided_on,
        },
    )
    return Letter(
        kind="rejection",
        decision_id=decision_id,
        application_id=application_id,
        to=to,
        subject=subject,
        text=text,
        html=html,
    )
