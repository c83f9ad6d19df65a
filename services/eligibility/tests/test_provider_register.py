"""The provider register built from a `providers` snapshot: a batch per service item (三(二)注)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from eligibility.refs import build_graph, build_tables, coi_inputs
from eligibility_testkit import PROVIDER_1, PROVIDER_2, PROVIDER_3
from vouchers_shared.refdata import ProviderBatches, Snapshot
from vouchers_shared.refdata_store import Derived


def snapshots(*rows: dict[str, Any]) -> dict[str, Snapshot]:
    items = [{"name": "服务机构", **r} for r in rows]
    return {
        "providers": Snapshot(
            kind="providers", version="v1", loaded_at=datetime.now(UTC), loaded_by="test", items=items
        )
    }


def test_a_plain_row_admits_every_service_item_in_its_batch() -> None:
    tables = build_tables(snapshots({"uscc": PROVIDER_2, "batch": 2}))
    assert tables.providers == {PROVIDER_2: ProviderBatches({"training": 2, "inference": 2})}


def test_an_admission_gives_the_items_it_adds_their_own_batch() -> None:
    row = {"uscc": PROVIDER_1, "batch": 1, "admissions": [{"batch": 3, "service_types": ["inference"]}]}
    admitted = build_tables(snapshots(row)).providers[PROVIDER_1]
    assert (admitted.batch_of("training"), admitted.batch_of("inference")) == (1, 3)
    assert admitted.first_batch == 1


@pytest.mark.parametrize("reverse", [False, True])
def test_a_stored_snapshot_listing_a_provider_twice_is_merged_not_refused_nor_last_row_wins(
    reverse: bool,
) -> None:
    # Refused at load today; a snapshot stored before may still repeat a provider. It is read
    # whatever the order of its rows, each item at the earliest batch any row admits it in.
    rows = [
        {"uscc": PROVIDER_3, "batch": 3},
        {"uscc": PROVIDER_3, "batch": 2, "admissions": [{"batch": 3, "service_types": ["training"]}]},
    ]
    tables = build_tables(snapshots(*(reversed(rows) if reverse else rows)))
    assert tables.providers == {PROVIDER_3: ProviderBatches({"training": 3, "inference": 2})}


def test_every_registered_provider_counts_for_the_conflict_check_whatever_its_admissions() -> None:
    rows = [
        {"uscc": PROVIDER_1, "batch": 1, "admissions": [{"batch": 2, "service_types": ["inference"]}]},
        {"uscc": PROVIDER_2, "batch": 2},
    ]
    found = snapshots(*rows)
    _, registered = coi_inputs(found, Derived(build_graph), Derived(build_tables))
    assert registered == frozenset({PROVIDER_1, PROVIDER_2})
