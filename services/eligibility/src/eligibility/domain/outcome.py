"""The rule registry, and the Outcome a rule returns, made into a Finding that cites its clause."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, ParamSpec

from vouchers_shared.application import Contract
from vouchers_shared.findings import Finding, worded
from vouchers_shared.types import FEN
from vouchers_shared.wording import Text

RuleResult = Literal["pass", "fail", "review"]
RuleKind = Literal["applicant", "contract", "amount"]
P = ParamSpec("P")


@dataclass(frozen=True)
class Outcome:
    """What one rule found; the decorator adds the rule id, the clause and the contract."""

    result: RuleResult
    text: Text
    observed: str | None = None
    limit: str | None = None
    clause: str | None = None  # set when a program parameter cites a clause of its own

    @classmethod
    def ok(cls, text: Text, **details: str | None) -> Outcome:
        """The rule passed."""
        return cls("pass", text, **details)

    @classmethod
    def fail(cls, text: Text, **details: str | None) -> Outcome:
        """The rule failed."""
        return cls("fail", text, **details)

    @classmethod
    def review(cls, text: Text, **details: str | None) -> Outcome:
        """An operator must look before the rule can be settled."""
        return cls("review", text, **details)


@dataclass(frozen=True)
class RuleInfo:
    """A registered rule: its stable id, the clause it applies, and its one-line summary."""

    rule_id: str
    clause: str
    kind: RuleKind
    summary: str
    qualname: str


RULES: dict[str, RuleInfo] = {}


def rule(
    rule_id: str, *, clause: str, kind: RuleKind
) -> Callable[[Callable[P, Outcome]], Callable[P, Finding]]:
    """Register a rule; the wrapped function returns a Finding instead of an Outcome.

    A contract rule takes the contract as its first argument, which names the finding's contract.
    """

    def register(fn: Callable[P, Outcome]) -> Callable[P, Finding]:
        summary = (fn.__doc__ or "").strip()
        if not summary or "\n" in summary:
            raise ValueError(f"rule {rule_id} needs a one-line docstring")
        qualname = f"{fn.__module__}.{fn.__qualname__}"
        known = RULES.get(rule_id)
        if known is not None and known.qualname != qualname:
            raise ValueError(f"rule id {rule_id} is already taken by {known.qualname}")
        RULES[rule_id] = RuleInfo(rule_id, clause, kind, summary, qualname)

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> Finding:
            contract_no = None
            if kind == "contract":
                if not args or not isinstance(args[0], Contract):
                    raise TypeError(f"contract rule {rule_id} takes the contract first")
                contract_no = args[0].contract_no
            out = fn(*args, **kwargs)
            return to_finding(rule_id, out.clause or clause, out, contract_no)

        return run

    return register


def to_finding(rule_id: str, clause: str, out: Outcome, contract_no: str | None) -> Finding:
    """The shared Finding for one outcome."""
    return Finding(
        rule=rule_id,
        clause=clause,
        result=out.result,
        contract_no=contract_no,
        observed=out.observed,
        limit=out.limit,
        **worded(out.text),
    )


def cny(amount: Decimal) -> str:
    """Money as a plain decimal string: two places, more only when the exact value needs them."""
    whole_fen = amount.quantize(FEN)
    return f"{whole_fen if whole_fen == amount else amount}"


def shown(amount: Decimal) -> str:
    """Money for a sentence, with thousands separators: 1,200,000.00."""
    return f"{amount:,.2f}" if amount == amount.quantize(FEN) else f"{amount:,}"


def day(d: date | datetime) -> str:
    """A date or instant in ISO-8601."""
    return d.isoformat()
