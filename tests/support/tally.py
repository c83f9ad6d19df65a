"""What a batch of applications came to, counted at every place an effect can land twice.

Per application: its filings (distinct application ids published for its applicant), the
distinct verdict events per check (a redelivery may put the same event on a topic again, under
the same `ce_id`: that is one verdict; two ids are two verdicts), the `case.decided` events,
the reservations on the applicant's yearly ledger and the rejection letters the mail sink
received (by Message-ID). An application is finished when the read model and the case both
show its expected status and every effect it should have is there; it is lost otherwise.
Every effect beyond the one expected is a duplicate.

Everything is read from Kafka and by document id: the local store scans a whole collection for
any other query, which a test polling every second must not add to the load it measures.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

from vouchers_shared import topics

from tests.support.batch import Planned
from tests.support.event_watch import EventWatch
from tests.support.letters import message_id
from tests.support.suite import Suite

REPORTS = Path(__file__).resolve().parents[2] / ".run" / "faults"
FINAL = ("awaiting_notice", "rejected")


@dataclass
class Tally:
    scenario: str
    submitted: int
    finished: int
    duplicates: int
    lost: int
    seconds: float = 0.0
    reserved_cny: str = "0.00"  # held for the approvable applications of the batch
    passing_totals_cny: str = "0.00"  # their passing eligibility verdicts' voucher totals
    redelivered_copies: int = 0  # the same event id on a topic again: harmless by design
    notes: dict[str, Any] = field(default_factory=dict)
    doubled: dict[str, list[str]] = field(default_factory=dict)  # application id -> what
    missing: dict[str, list[str]] = field(default_factory=dict)
    unreleased: dict[str, str] = field(default_factory=dict)  # rejected, room not given back

    def line(self) -> str:
        return (
            f"{self.scenario}: submitted {self.submitted}, finished {self.finished}, "
            f"duplicates {self.duplicates}, lost {self.lost}, "
            f"redelivered copies {self.redelivered_copies} ({self.seconds:.1f}s)"
        )

    def write(self) -> Path:
        REPORTS.mkdir(parents=True, exist_ok=True)
        path = REPORTS / f"{self.scenario}.json"
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False, default=str) + "\n")
        return path


def letters_by_application(messages: Iterable[Message], ids: set[str]) -> dict[str, set[str]]:
    """Distinct Message-IDs of the letters whose subject names each application."""
    found: dict[str, set[str]] = defaultdict(set)
    for message in list(messages):
        subject = str(make_header(decode_header(message["Subject"] or "")))
        for application_id in ids:
            if application_id in subject:
                found[application_id].add(message_id(message))
    return found


def statuses(suite: Suite, ids: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each application's read-model status (intake) and case status (notification), by id."""
    views, cases = {}, {}
    with suite.store() as client:
        status = client["vouchers_intake"]["application_status"]
        case = client["vouchers_notification"]["cases"]
        for application_id in ids:
            if (view := status.find_one({"_id": application_id}, {"status": 1})) is not None:
                views[application_id] = str(view["status"])
            if (doc := case.find_one({"_id": application_id}, {"status": 1})) is not None:
                cases[application_id] = str(doc["status"])
    return views, cases


@dataclass
class Ledgers:
    """What the applicants' 2026 ledgers hold, per application id."""

    reserved: dict[str, list[Decimal]] = field(default_factory=lambda: defaultdict(list))
    released: dict[str, Decimal] = field(default_factory=dict)


def ledgers(suite: Suite, usccs: Iterable[str]) -> Ledgers:
    found = Ledgers()
    with suite.store() as client:
        collection = client["vouchers_eligibility"]["ledgers"]
        for uscc in usccs:
            ledger = collection.find_one({"_id": f"{uscc}:2026"}) or {}
            for name in ("reserved", "granted"):
                for application_id, amount in ledger.get(name, {}).items():
                    found.reserved[application_id].append(Decimal(amount))
            for application_id, amount in ledger.get("released", {}).items():
                found.released[application_id] = Decimal(amount)
    return found


@dataclass
class Seen:
    """Everything the tally reads about a batch, gathered once."""

    watch: EventWatch
    views: dict[str, str]
    cases: dict[str, str]
    ledgers: Ledgers
    letters: dict[str, set[str]]

    def effects(self, application_id: str, item: Planned) -> dict[str, int]:
        """How many of each effect the application has (each is wanted once, or not at all)."""
        seen = self.watch.ids_about(application_id)
        final = {
            i
            for i in seen[topics.VERIFICATION]
            if self.watch.body(topics.VERIFICATION, i)["outcome"] != "pending"
        }
        return {
            "filing": len(self.watch.subjects_of(item.uscc)),
            "coi verdict": len(seen[topics.COI]),
            "eligibility verdict": len(seen[topics.ELIGIBILITY]),
            "final verification verdict": len(final),
            "case.decided": len(seen[topics.DECISIONS]),
            "reservation": len(self.ledgers.reserved.get(application_id, ())),
            "rejection letter": len(self.letters.get(application_id, ())),
        }

    def voucher_totals(self, application_id: str) -> list[Decimal]:
        """The totals of the application's passing eligibility verdicts."""
        bodies = (
            self.watch.body(topics.ELIGIBILITY, i)
            for i in self.watch.ids_about(application_id)[topics.ELIGIBILITY]
        )
        return [
            Decimal(b["voucher"]["total_cny"]) for b in bodies if b["outcome"] == "pass" and b.get("voucher")
        ]


def count(
    suite: Suite, watch: EventWatch, scenario: str, planned: Sequence[Planned], accepted: dict[str, str]
) -> Tally:
    """Count every effect of the batch; see the module docstring for what is counted how."""
    watch.catch_up()
    kinds = {accepted[p.uscc]: p for p in planned if p.uscc in accepted}
    seen = Seen(
        watch,
        *statuses(suite, kinds),
        ledgers(suite, (p.uscc for p in kinds.values())),
        letters_by_application(suite.mail.messages, set(kinds)),
    )
    tally = Tally(scenario, submitted=len(accepted), finished=0, duplicates=0, lost=0)
    passing, reserved = Decimal("0.00"), Decimal("0.00")
    for application_id, item in sorted(kinds.items()):
        _judge(tally, application_id, item, seen)
        totals = seen.voucher_totals(application_id)
        released = seen.ledgers.released.get(application_id)
        if item.approvable:
            passing += sum(totals, Decimal("0.00"))
            reserved += sum(seen.ledgers.reserved.get(application_id, ()), Decimal("0.00"))
        elif totals and released != totals[0]:
            tally.unreleased[application_id] = f"passed with {totals[0]}, released {released}"
    tally.lost = tally.submitted - tally.finished
    tally.reserved_cny, tally.passing_totals_cny = str(reserved), str(passing)
    tally.redelivered_copies = sum(watch.copies(i) for i in kinds)
    return tally


def _judge(tally: Tally, application_id: str, item: Planned, seen: Seen) -> None:
    """Finished or lost, and every effect beyond the one wanted."""
    have = seen.effects(application_id, item)
    want = dict.fromkeys(have, 1) | {
        "reservation": int(item.approvable),
        "rejection letter": int(not item.approvable),
    }
    missing = [name for name, n in have.items() if n < want[name]]
    # A rejected application's reservation is released with its final decision: one still
    # held is a release missing, not a second reservation.
    if not item.approvable and have["reservation"]:
        missing.append("release of its reservation")
        have["reservation"] -= 1
    status = (seen.views.get(application_id), seen.cases.get(application_id))
    if status != (item.expected_status, item.expected_status):
        missing.append(f"status {status}, expected {item.expected_status}")
    extra = {name: n - want[name] for name, n in have.items() if n > want[name]}
    tally.duplicates += sum(extra.values())
    if extra:
        tally.doubled[application_id] = [f"{name} +{n}" for name, n in extra.items()]
    if missing:
        tally.missing[application_id] = missing
    else:
        tally.finished += 1
