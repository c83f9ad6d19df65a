"""Store round trips per application, from the services' `vouchers_store_commands_total`.

The services run with STORE_COMMAND_COUNTS=1 (vouchers_shared.observability.store_commands);
the benchmark scrapes each one's /metrics before and after a phase, and divides what moved by
the phase's applications: per service, per command and collection, with the mean BSON size of
a command and of its reply, the mean time to its reply, and the documents its writes name. Each
service's time waiting on replies over the phase, all its processes and commands added up
(commands in flight together each count), says how much of a consumer's time the store takes;
the documents each service inserted, updated or replaced, and deleted per application say how
often it rewrites what it stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from deploy.bench.scrape import added_up, metrics_pages

Key = tuple[str, str, str]  # service, command, collection
COUNT, REQUEST, REPLY, SECONDS, DOCUMENTS = 0, 1, 2, 3, 4
FAMILIES = (
    "vouchers_store_commands",
    "vouchers_store_command_bytes",
    "vouchers_store_command_seconds",
    "vouchers_store_command_documents",
)


@dataclass(frozen=True)
class Commands:
    """One command on one collection by one service, over a phase."""

    service: str
    command: str
    collection: str
    count: float
    request_bytes: float
    reply_bytes: float
    seconds: float = 0.0  # waiting on the replies
    documents: float = 0.0  # named by the writes

    def per_application(self, n: int) -> float:
        return self.count / n if n else 0.0

    def mean_request(self) -> int:
        return round(self.request_bytes / self.count) if self.count else 0

    def mean_reply(self) -> int:
        return round(self.reply_bytes / self.count) if self.count else 0

    def mean_ms(self) -> float:
        return round(1000 * self.seconds / self.count, 2) if self.count else 0.0


Tally = dict[Key, list[float]]


def parse(text: str) -> Tally:
    """The command counts, byte totals and times to the replies in one /metrics page."""
    tally: Tally = {}
    for family in text_string_to_metric_families(text):
        if family.name not in FAMILIES:
            continue
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            labels = sample.labels
            key = (labels["service"], labels["command"], labels["collection"])
            row = tally.setdefault(key, [0.0] * 5)
            if family.name == "vouchers_store_commands":
                row[COUNT] += sample.value
            elif family.name == "vouchers_store_command_seconds":
                row[SECONDS] += sample.value
            elif family.name == "vouchers_store_command_documents":
                row[DOCUMENTS] += sample.value
            else:
                row[REQUEST if labels.get("direction") == "request" else REPLY] += sample.value
    return tally


def tally(pages: Iterable[str]) -> Tally:
    """The command counts, byte totals and times of every process's /metrics page, added up."""
    return added_up(pages, parse)


async def scrape(urls: Iterable[str]) -> Tally:
    return tally(await metrics_pages(urls))


def moved(before: Tally, after: Tally) -> list[Commands]:
    """What each (service, command, collection) sent between two scrapes, busiest first."""
    out = []
    for key, row in after.items():
        was = before.get(key, [0.0] * 5)
        count, request, reply, seconds, documents = (a - b for a, b in zip(row, was, strict=True))
        if count > 0:
            out.append(Commands(*key, count, request, reply, seconds, documents))
    return sorted(out, key=lambda c: (-c.count, c.service, c.command, c.collection))


def summary(commands: Iterable[Commands], n: int) -> dict[str, Any]:
    """Round trips per application: in total, per service, and per command and collection; each
    service's time waiting on the store's replies; and the documents each service's writes named
    per application, by command."""
    rows = list(commands)
    per_service: dict[str, float] = {}
    waits: dict[str, float] = {}
    written: dict[str, dict[str, float]] = {}
    for c in rows:
        per_service[c.service] = per_service.get(c.service, 0.0) + c.per_application(n)
        waits[c.service] = waits.get(c.service, 0.0) + c.seconds
        if c.documents and n:
            kinds = written.setdefault(c.service, {})
            kinds[c.command] = kinds.get(c.command, 0.0) + c.documents / n
    return {
        "applications": n,
        "total_per_application": round(sum(per_service.values()), 2),
        "per_service": {s: round(v, 2) for s, v in sorted(per_service.items())},
        "waiting_s": {s: round(v, 1) for s, v in sorted(waits.items())},
        "documents_per_application": {
            s: {k: round(v, 2) for k, v in sorted(kinds.items())} for s, kinds in sorted(written.items())
        },
        "commands": [
            {
                "service": c.service,
                "command": c.command,
                "collection": c.collection,
                "per_application": round(c.per_application(n), 3),
                "request_bytes": c.mean_request(),
                "reply_bytes": c.mean_reply(),
                "mean_ms": c.mean_ms(),
                "documents_per_application": round(c.documents / n, 3) if n else 0.0,
            }
            for c in rows
        ],
    }


def rows_of(summary_: Mapping[str, Any]) -> list[Commands]:
    """The summary's commands back as `Commands` per application (count = per application)."""
    return [
        Commands(
            r["service"],
            r["command"],
            r["collection"],
            r["per_application"],
            r["request_bytes"] * r["per_application"],
            r["reply_bytes"] * r["per_application"],
        )
        for r in summary_["commands"]
    ]
