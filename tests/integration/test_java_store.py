"""The local store's second candidate, mongo-java-server on H2 (`LOCAL_STORE=mongo-java-server`),
whatever store the rest of the suite runs on: a conditional write is won by one writer of many,
and what it acknowledged survives kill -9."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import suitectl
from pymongo import MongoClient

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
RACERS = 8
ROUNDS = 20
Client = MongoClient[dict[str, Any]]


@pytest.fixture
def java_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int]:
    monkeypatch.setenv("LOCAL_STORE", "mongo-java-server")
    suitectl.install_java_store()
    (port,) = suitectl.free_ports(1)
    return tmp_path / "store", port


def started(data: Path, port: int) -> suitectl.ManagedProcess:
    proc = suitectl.start_store(data, port, data.parent / "store.log")
    suitectl.wait_ready(proc, timeout=120)
    return proc


def replace_first(client: Client, doc_id: int, writer: int) -> int:
    """Replace revision 0 of `doc_id` as `writer`; 1 if this writer's replacement matched."""
    docs = client["races"]["docs"]
    return docs.replace_one({"_id": doc_id, "revision": 0}, {"revision": 1, "by": writer}).matched_count


def test_a_conditional_replace_is_won_by_one_writer_only(java_store: tuple[Path, int]) -> None:
    data, port = java_store
    proc = started(data, port)
    clients: list[Client] = [MongoClient(suitectl.mongodb_url(port)) for _ in range(RACERS)]
    try:
        docs = clients[0]["races"]["docs"]
        for round_ in range(ROUNDS):
            docs.insert_one({"_id": round_, "revision": 0})
        for round_ in range(ROUNDS):
            with ThreadPoolExecutor(RACERS) as pool:
                won = list(pool.map(replace_first, clients, [round_] * RACERS, range(RACERS)))
            assert sum(won) == 1, f"round {round_}: {sum(won)} writers replaced revision 0"
            assert docs.find_one({"_id": round_}) == {"_id": round_, "revision": 1, "by": won.index(1)}
    finally:
        for client in clients:
            client.close()
        suitectl.stop(proc, grace=30)


def test_what_a_write_acknowledged_survives_kill_9(java_store: tuple[Path, int]) -> None:
    data, port = java_store
    proc = started(data, port)
    writer: Client = MongoClient(suitectl.mongodb_url(port))
    with writer:
        docs = writer["durable"]["docs"]
        docs.insert_many([{"_id": n, "v": "first"} for n in range(50)])
        docs.replace_one({"_id": 7}, {"v": "second"})
        docs.delete_one({"_id": 8})
    suitectl._signal_group(proc.pid, signal.SIGKILL)
    assert suitectl._wait_exit(proc, 30.0)

    proc = started(data, port)
    try:
        reader: Client = MongoClient(suitectl.mongodb_url(port))
        with reader:
            stored = {d["_id"]: d["v"] for d in reader["durable"]["docs"].find({})}
    finally:
        suitectl.stop(proc, grace=30)
    assert len(stored) == 49
    assert stored[7] == "second"
    assert 8 not in stored
