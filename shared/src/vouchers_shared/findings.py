"""Findings: one rule's outcome, in the same shape for every check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vouchers_shared.wording import WORDED, Text, render

Result = Literal["pass", "fail", "review", "pending"]


class EvidenceEdge(BaseModel):
    """One relationship on a related-party path, in the direction it holds."""

    model_config = ConfigDict(frozen=True)

    source: str
    target: str
    kind: Literal["holding", "legal_representative", "director", "supervisor", "senior_manager", "employee"]
    pct: str | None = None
    origin: str = Field(description="refdata:<kind>@<version> or application:<id>")


class EvidencePath(BaseModel):
    """A chain of edges that makes two parties related."""

    model_config = ConfigDict(frozen=True)

    relation: Literal["holds", "held_by", "common_holder", "shared_officer", "staff_at_provider"]
    summary: str
    effective_pct: str | None = None
    edges: list[EvidenceEdge]


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


class Finding(BaseModel):
    """The outcome of one rule, with what was observed and the limit it was held to.

    Its texts are not carried: `text` is the key of its wording and `args` the figures the
    wording names; readers render it in Chinese and English (`message`, `message_en`). Fields
    without a value (null, an empty list or map) are left out of what is written.
    """

    model_config = ConfigDict(frozen=True)

    rule: str
    clause: str
    result: Result
    contract_no: str | None = Field(default=None, exclude_if=_empty)
    observed: str | None = Field(default=None, exclude_if=_empty)
    limit: str | None = Field(default=None, exclude_if=_empty)
    text: str = Field(description="the key of the finding's wording (vouchers_shared.wording)")
    args: dict[str, str] = Field(
        default_factory=dict, exclude_if=_empty, description="the figures its wording names"
    )
    evidence: list[EvidencePath] = Field(default_factory=list, exclude_if=_empty)

    @model_validator(mode="before")
    @classmethod
    def _worded(cls, data: Any) -> Any:
        # A finding stored or published with its texts, as findings were before they were worded
        # by key, is read as the WORDED key with both texts for arguments.
        if isinstance(data, Mapping) and "text" not in data and "message" in data:
            data = dict(data)
            zh = data.pop("message")
            en = data.pop("message_en", zh)
            data["text"], data["args"] = WORDED, {"zh": zh, "en": en}
        return data

    @property
    def passed(self) -> bool:
        """Whether the rule passed."""
        return self.result == "pass"

    @property
    def message(self) -> str:
        """The finding in plain Chinese."""
        return render(self.text, self.args)[0]

    @property
    def message_en(self) -> str:
        """The finding in English."""
        return render(self.text, self.args)[1]


class ShownFinding(BaseModel):
    """A finding as its readers are answered (`GET /v1/applications/{id}`): its texts rendered
    in both languages."""

    rule: str
    clause: str
    result: Result
    passed: bool
    contract_no: str | None = None
    observed: str | None = None
    limit: str | None = None
    message: str = Field(description="plain Chinese")
    message_en: str
    evidence: list[EvidencePath] = Field(default_factory=list)


def worded(text: Text) -> dict[str, Any]:
    """A Finding's `text` and `args` fields for a wording."""
    return {"text": text.key, "args": text.args}


def shown(finding: Mapping[str, Any]) -> dict[str, Any]:
    """A finding as stored or published (its JSON form), with its texts rendered in both
    languages in place of its wording's key and figures. One stored with its texts keeps them."""
    answer = {k: v for k, v in finding.items() if k not in ("text", "args")}
    answer["passed"] = finding.get("result") == "pass"
    for absent in ("contract_no", "observed", "limit"):  # written only when they hold a value
        answer.setdefault(absent, None)
    answer.setdefault("evidence", [])
    if "text" in finding:
        answer["message"], answer["message_en"] = render(str(finding["text"]), finding.get("args") or {})
    return answer


def failed(findings: list[Finding]) -> list[Finding]:
    """The findings that did not pass and are not waiting or held for review."""
    return [f for f in findings if f.result == "fail"]
