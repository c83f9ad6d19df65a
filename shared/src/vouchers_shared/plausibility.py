"""What an application may claim at the instant it is filed: dates that can be true, and figures
every service can compute with. Pure; intake runs it with the filing instant.

Bounds, each relative to the filing instant or to the application's program year Y:
- `applicant.registered_on`: from 1949-10-01 (the earliest registration a unit holding a unified
  social credit code can carry) to the filing day; a later date cannot be true, would earn the
  young-enterprise rate, and near year 9999 leaves no anniversary to compute.
- a contract's `signed_on`: from 1 January Y−10 to the filing day; its `service_start` and
  `service_end`: from 1 January Y−10 to 31 December Y+10, the end not before the start.
- `amount_cny` and `other_public_funding_cny`: at most 10,000,000,000.00 (100亿元) each, far above
  any compute rental the program pays on (its yearly voucher cap is 1000万元). A hundred such
  contracts still add up to a whole number of fen below 2^53, exact even as a float.
- a material's `fiscal_year`: a year already ended when filing (an audit report or final
  accounts cover a closed year); its `year` (a certificate's): not after the filing year.
- the declared shareholders of the applicant: at most 100% together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from vouchers_shared.application import Application, Contract
from vouchers_shared.clock import SHANGHAI

EARLIEST_REGISTRATION = date(1949, 10, 1)
CONTRACT_YEARS_AROUND = 10
MAX_AMOUNT_CNY = Decimal("10000000000.00")


@dataclass(frozen=True)
class Implausible:
    """One thing an application claims that cannot be true or cannot be computed with."""

    field: str
    code: str
    message: str

    def as_error(self) -> dict[str, str]:
        """The documented error item: {"field", "code", "message"}."""
        return {"field": self.field, "code": self.code, "message": self.message}


def implausible(application: Application, filed_at: datetime) -> list[Implausible]:
    """Every implausible claim of `application`, filed at `filed_at`; empty when none."""
    if filed_at.tzinfo is None:
        raise ValueError("the filing instant must be timezone-aware")
    filed_on = filed_at.astimezone(SHANGHAI).date()
    problems = _registration(application.applicant.registered_on, filed_on)
    for i, contract in enumerate(application.contracts):
        problems += _contract(f"contracts[{i}]", contract, application.program_year, filed_on)
    problems += _materials(application, filed_on)
    problems += _shareholders(application)
    return problems


def _registration(registered_on: date, filed_on: date) -> list[Implausible]:
    field = "applicant.registered_on"
    if registered_on > filed_on:
        return [
            Implausible(
                field,
                "REGISTERED_AFTER_FILING",
                f"registered on {registered_on}, after the application is filed "
                f"({filed_on}): a registration date cannot lie in the future",
            )
        ]
    if registered_on < EARLIEST_REGISTRATION:
        return [_out_of_range(field, registered_on, EARLIEST_REGISTRATION, filed_on)]
    return []


def _contract(path: str, c: Contract, program_year: int, filed_on: date) -> list[Implausible]:
    earliest = date(program_year - CONTRACT_YEARS_AROUND, 1, 1)
    latest = date(program_year + CONTRACT_YEARS_AROUND, 12, 31)
    problems: list[Implausible] = []
    if c.signed_on > filed_on:
        problems.append(
            Implausible(
                f"{path}.signed_on",
                "SIGNED_AFTER_FILING",
                f"signed on {c.signed_on}, after the application is filed "
                f"({filed_on}): only a contract already signed can be declared",
            )
        )
    elif c.signed_on < earliest:
        problems.append(_out_of_range(f"{path}.signed_on", c.signed_on, earliest, filed_on))
    dated = [("service_start", c.service_start), ("service_end", c.service_end)]
    outside = [(name, d) for name, d in dated if not earliest <= d <= latest]
    problems += [_out_of_range(f"{path}.{name}", d, earliest, latest) for name, d in outside]
    if not outside and c.service_end < c.service_start:
        problems.append(
            Implausible(
                f"{path}.service_end",
                "SERVICE_ENDS_BEFORE_START",
                f"the service ends on {c.service_end}, before it starts on {c.service_start}",
            )
        )
    for name, amount in (
        ("amount_cny", c.amount_cny),
        ("other_public_funding_cny", c.other_public_funding_cny),
    ):
        if amount > MAX_AMOUNT_CNY:
            problems.append(
                Implausible(
                    f"{path}.{name}",
                    "AMOUNT_TOO_LARGE",
                    f"{amount:.2f} is more than the {MAX_AMOUNT_CNY:.2f} CNY a contract may declare",
                )
            )
    return problems


def _materials(application: Application, filed_on: date) -> list[Implausible]:
    problems: list[Implausible] = []
    for i, m in enumerate(application.materials):
        if m.fiscal_year is not None and m.fiscal_year >= filed_on.year:
            problems.append(
                Implausible(
                    f"materials[{i}].fiscal_year",
                    "FISCAL_YEAR_NOT_ENDED",
                    f"fiscal year {m.fiscal_year} has not ended on the filing "
                    f"day ({filed_on}): no {m.kind} can cover it yet",
                )
            )
        if m.year is not None and m.year > filed_on.year:
            problems.append(
                Implausible(
                    f"materials[{i}].year",
                    "YEAR_AFTER_FILING",
                    f"year {m.year} lies after the filing year {filed_on.year}",
                )
            )
    return problems


def _shareholders(application: Application) -> list[Implausible]:
    total = sum((s.pct for s in application.applicant.shareholders), Decimal(0))
    if total <= 100:
        return []
    return [
        Implausible(
            "applicant.shareholders",
            "SHAREHOLDINGS_OVER_100",
            f"the shareholders hold {total}% together; no more than 100% can be held",
        )
    ]


def _out_of_range(field: str, value: date, earliest: date, latest: date) -> Implausible:
    return Implausible(
        field, "DATE_OUT_OF_RANGE", f"{value} is outside the plausible range {earliest} .. {latest}"
    )
