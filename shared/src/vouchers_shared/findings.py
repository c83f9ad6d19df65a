"""Findings: one rule's outcome, in the same shape for every check."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

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


class Finding(BaseModel):
    """The outcome of one rule, with what was observed and the limit it was held to."""

    model_config = ConfigDict(frozen=True)

    rule: str
    clause: str
    result: Result
    contract_no: str | None = None
    observed: str | None = None
    limit: str | None = None
    message: str = Field(description="plain Chinese")
    message_en: str
    evidence: list[EvidencePath] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return self.result == "pass"


def failed(findings: list[Finding]) -> list[Finding]:
    """The findings that did not pass and are not waiting or held for review."""
    return [f for f in findings if f.result == "fail"]
