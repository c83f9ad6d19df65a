"""Records per consumer batch, by group, from the services' `vouchers_batch_records` histogram.

Scraped from every process before and after a phase, like the round trips (roundtrips.py): a
group whose batches stay near their limit (100 records) was behind through the phase; one with
a few records per batch kept up, and paid its per-batch reads and writes for those few.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client.parser import text_string_to_metric_families

from deploy.bench.scrape import added_up

Sums = dict[str, list[float]]  # group: [records, batches]


def parse(text: str) -> Sums:
    sums: Sums = {}
    for family in text_string_to_metric_families(text):
        if family.name != "vouchers_batch_records":
            continue
        for sample in family.samples:
            column = {"vouchers_batch_records_sum": 0, "vouchers_batch_records_count": 1}.get(sample.name)
            if column is not None:
                sums.setdefault(sample.labels["group"], [0.0, 0.0])[column] += sample.value
    return sums


def sums(pages: Iterable[str]) -> Sums:
    """The records and batches of every process's /metrics page, added up by group."""
    return added_up(pages, parse)


def summary(
    before: Mapping[str, list[float]], after: Mapping[str, list[float]]
) -> dict[str, dict[str, float]]:
    """Per group, the batches taken between two scrapes and their mean records, busiest first."""
    moved = {
        group: (records - before.get(group, [0.0, 0.0])[0], batches - before.get(group, [0.0, 0.0])[1])
        for group, (records, batches) in after.items()
    }
    return {
        group: {"batches": batches, "records_per_batch": round(records / batches, 1)}
        for group, (records, batches) in sorted(moved.items(), key=lambda kv: -kv[1][0])
        if batches > 0
    }
