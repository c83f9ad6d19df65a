"""The store ceiling: raw PyMongo issuing the pipeline's reads and writes, with nothing else.

From the round trips the services made per application (roundtrips.py: per command and
collection, with their mean sizes), N applications' worth of the same commands, of the same
sizes, on collections of the same names in a database of its own, from one client:

- **one at a time**: every command its own round trip, as the services send them;
- **batched**: per batch of `BATCH` applications and per collection, the inserts in one
  `insert_many`, the updates (and find-and-modifies) in one `bulk_write`, the deletes in
  another, the reads in one `find` with `$in`. FerretDB 1.24 answers only a filter that is
  exactly `{"_id": x}` by index (a `$in` reads the whole collection), so there each read stays
  a `find_one`; and it holds a pooled SQLite connection for every statement of an update
  command until the command ends, so an update of 100 statements or more waits forever for a
  101st connection (its pool has 100): there the updates go `FERRETDB_UPDATES` at a time.

A write goes by `_id` to a document seeded beforehand (not timed), or inserts a new one; a
read finds a seeded document of the size the pipeline's replies had. Commands that carry no
application's data (ping, buildInfo, index and session commands) are left out and listed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import DeleteOne, MongoClient, UpdateOne

from deploy.bench.procstats import cpu_seconds

DATABASE = "bench_store_ceiling"
BATCH = 100  # applications per batch: a consumer's batch of records (max_poll_records)
WRITES = {"insert", "update", "delete", "findAndModify"}
READS = {"find", "aggregate", "count", "getMore", "distinct"}
ENVELOPE_BYTES = 100  # what a command or reply carries besides its documents (lsid, $db, ...)
FERRETDB_UPDATES = 50  # statements per update command on FerretDB (see the module docstring)


@dataclass(frozen=True)
class Op:
    """One kind of round trip: `per_app` of them per application, each carrying `size` bytes."""

    command: str
    collection: str
    per_app: float
    size: int

    @property
    def table(self) -> str:
        return self.collection.replace(".", "__")

    def count_for(self, app: int) -> int:
        """How many of these application `app` makes (fractions spread evenly over the apps)."""
        return math.floor((app + 1) * self.per_app + 1e-9) - math.floor(app * self.per_app + 1e-9)


def ops_of(commands: Sequence[Mapping[str, Any]]) -> tuple[list[Op], list[str]]:
    """The ops to issue from the pipeline's commands per application, and the names of those
    left out. A write carries what its command sent, a read what its reply brought back."""
    merged: dict[tuple[str, str], list[float]] = {}
    skipped: set[str] = set()
    for c in commands:
        command = str(c["command"])
        if command not in WRITES | READS:
            skipped.add(command)
            continue
        kind = command if command in WRITES else "find"
        size = c["request_bytes"] if kind in WRITES else c["reply_bytes"]
        row = merged.setdefault((kind, str(c["collection"])), [0.0, 0.0])
        row[0] += c["per_application"]
        row[1] += c["per_application"] * max(size - ENVELOPE_BYTES, 16)
    ops = [
        Op(kind, coll, per_app, round(total / per_app))
        for (kind, coll), (per_app, total) in sorted(merged.items())
        if per_app > 0
    ]
    return ops, sorted(skipped)


def round_trips(ops: Sequence[Op], n: int, *, batched: bool, ferretdb: bool) -> int:
    """Round trips the loop makes for `n` applications (one at a time, or batched)."""
    if not batched:
        return sum(op.count_for(a) for op in ops for a in range(n))
    total = 0
    for first in range(0, n, BATCH):
        apps = range(first, min(first + BATCH, n))
        for op in ops:
            count = sum(op.count_for(a) for a in apps)
            if not count:
                continue
            if op.command == "find" and ferretdb:
                total += count
            elif op.command in ("update", "findAndModify") and ferretdb:
                total += math.ceil(count / FERRETDB_UPDATES)
            else:
                total += 1
    return total


def _doc_id(op: Op, app: int, k: int) -> str:
    return f"{op.command}-{app}-{k}"


def _targets(op: Op, apps: range) -> Iterator[str]:
    for app in apps:
        for k in range(op.count_for(app)):
            yield _doc_id(op, app, k)


def seed(client: MongoClient[dict[str, Any]], ops: Sequence[Op], n: int) -> None:
    """The documents the updates, deletes and reads find (not timed)."""
    db = client[DATABASE]
    for op in ops:
        if op.command == "insert":
            continue
        pad = "s" * op.size
        ids = list(_targets(op, range(n)))
        for first in range(0, len(ids), 1000):
            db[op.table].insert_many([{"_id": i, "pad": pad} for i in ids[first : first + 1000]])


def _one_at_a_time(client: MongoClient[dict[str, Any]], ops: Sequence[Op], n: int) -> None:
    db = client[DATABASE]
    pads = {op: "x" * op.size for op in ops}
    for app in range(n):
        for op in ops:
            coll = db[op.table]
            for doc_id in _targets(op, range(app, app + 1)):
                if op.command == "insert":
                    coll.insert_one({"_id": doc_id, "pad": pads[op]})
                elif op.command in ("update", "findAndModify"):
                    coll.update_one({"_id": doc_id}, {"$set": {"pad": pads[op]}})
                elif op.command == "delete":
                    coll.delete_one({"_id": doc_id})
                else:
                    coll.find_one({"_id": doc_id})


def _batched(client: MongoClient[dict[str, Any]], ops: Sequence[Op], n: int, ferretdb: bool) -> None:
    db = client[DATABASE]
    pads = {op: "x" * op.size for op in ops}
    for first in range(0, n, BATCH):
        apps = range(first, min(first + BATCH, n))
        for op in ops:
            ids = list(_targets(op, apps))
            if not ids:
                continue
            coll = db[op.table]
            if op.command == "insert":
                coll.insert_many([{"_id": i, "pad": pads[op]} for i in ids], ordered=False)
            elif op.command in ("update", "findAndModify"):
                step = FERRETDB_UPDATES if ferretdb else len(ids)
                for first_id in range(0, len(ids), step):
                    coll.bulk_write(
                        [
                            UpdateOne({"_id": i}, {"$set": {"pad": pads[op]}})
                            for i in ids[first_id : first_id + step]
                        ],
                        ordered=False,
                    )
            elif op.command == "delete":
                coll.bulk_write([DeleteOne({"_id": i}) for i in ids], ordered=False)
            elif ferretdb:
                for i in ids:
                    coll.find_one({"_id": i})
            else:
                list(coll.find({"_id": {"$in": ids}}))


def run_store_ceiling(
    url: str,
    commands: Sequence[Mapping[str, Any]],
    n: int,
    store_pid: int | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Both loops on a fresh database each; throughput in applications per second."""
    ops, skipped = ops_of(commands)
    out: dict[str, Any] = {
        "applications": n,
        "batch_applications": BATCH,
        "left_out": skipped,
        "ops_per_application": [
            {
                "command": o.command,
                "collection": o.collection,
                "per_application": round(o.per_app, 3),
                "bytes": o.size,
            }
            for o in ops
        ],
    }
    client: MongoClient[dict[str, Any]]
    with MongoClient(url, tz_aware=True) as client:
        ferretdb = "ferretdbVersion" in client.admin.command("buildInfo")
        for mode in ("one_at_a_time", "batched"):
            client.drop_database(DATABASE)
            seed(client, ops, n)
            store_before = cpu_seconds(store_pid) if store_pid else 0.0
            started = time.perf_counter()
            if mode == "batched":
                _batched(client, ops, n, ferretdb)
            else:
                _one_at_a_time(client, ops, n)
            wall = time.perf_counter() - started
            store_cpu = cpu_seconds(store_pid) - store_before if store_pid else float("nan")
            trips = round_trips(ops, n, batched=mode == "batched", ferretdb=ferretdb)
            out[mode] = {
                "wall_s": round(wall, 3),
                "throughput_apps_per_s": round(n / wall, 2) if wall > 0 else 0.0,
                "round_trips": trips,
                "round_trips_per_application": round(trips / n, 2) if n else 0.0,
                "store_cpu_ms_per_app": round(1000 * store_cpu / n, 3) if n else 0.0,
            }
            say(
                f"store ceiling {mode.replace('_', ' ')}: {out[mode]['throughput_apps_per_s']} apps/s, "
                f"{trips} round trips in {wall:.1f} s"
            )
        client.drop_database(DATABASE)
    out["ferretdb"] = ferretdb  # reads one by one, updates FERRETDB_UPDATES at a time
    return out
