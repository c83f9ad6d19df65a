"""Our FerretDB build gives every collection an index on the expression FerretDB's lookups by
`_id` use (`_ferretdb_sjson->'$._id'`), so that SQLite answers them by index: upstream's own
`_id` index is on another expression, which SQLite cannot use for them."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import suitectl
from pymongo import MongoClient

from tests.support.suite import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
LOOKUP = "SELECT _ferretdb_sjson FROM {table} WHERE _ferretdb_sjson->'$._id' = ?"


def plan(database: Path, collection: str) -> str | None:
    """SQLite's plan for FerretDB's lookup by `_id` in `collection`, once the table exists."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        row = db.execute(
            "SELECT table_name FROM _ferretdb_collections WHERE name = ?", (collection,)
        ).fetchone()
        if row is None:
            return None
        steps = db.execute("EXPLAIN QUERY PLAN " + LOOKUP.format(table=f'"{row[0]}"'), ('"x"',)).fetchall()
    return " ".join(str(step[-1]) for step in steps)


def test_lookups_by_id_use_an_index_in_every_collection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_STORE", "ferretdb")  # this build, whichever store the suite runs on
    suitectl.install_ferretdb()
    (port,) = suitectl.free_ports(1)
    proc = suitectl.start_store(tmp_path / "store", port, tmp_path / "store.log")
    try:
        suitectl.wait_ready(proc, timeout=60)
        client: MongoClient[dict[str, Any]] = MongoClient(suitectl.mongodb_url(port))
        with client:
            for name in ("cases", "letters"):
                client["vouchers_probe"][name].insert_many([{"_id": f"id-{i}"} for i in range(50)])
            database = tmp_path / "store" / "vouchers_probe.sqlite"
            for name in ("cases", "letters"):

                def indexed(collection: str = name) -> str | None:
                    found = plan(database, collection)
                    return found if found and "USING INDEX" in found else None

                used: str = wait_for(f"an index for lookups in {name}", indexed, timeout=30, every=0.2)
                assert "__id_lookup" in used
            # FerretDB's own view of the collection is unchanged: its one index, on _id.
            assert [i["name"] for i in client["vouchers_probe"]["cases"].list_indexes()] == ["_id_"]
            assert client["vouchers_probe"]["cases"].find_one({"_id": "id-7"}) == {"_id": "id-7"}

            # A collection created later in a file already indexed, and a database dropped and
            # made again (a new file under the old name), get theirs too.
            def lookup_indexed(collection: str) -> bool | None:
                return "__id_lookup" in (plan(database, collection) or "") or None

            client["vouchers_probe"]["outbox"].insert_one({"_id": "o-1"})
            wait_for(
                "an index in a later collection", lambda: lookup_indexed("outbox"), timeout=30, every=0.2
            )
            client.drop_database("vouchers_probe")
            client["vouchers_probe"]["ledgers"].insert_one({"_id": "l-1"})
            wait_for(
                "an index in a database made again", lambda: lookup_indexed("ledgers"), timeout=30, every=0.2
            )
            assert client["vouchers_probe"]["ledgers"].find_one({"_id": "l-1"}) == {"_id": "l-1"}
    finally:
        suitectl.stop(proc, 15.0)
