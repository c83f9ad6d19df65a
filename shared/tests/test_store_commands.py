"""Store round trips counted from PyMongo's command events, by command and collection."""

from __future__ import annotations

import uuid
from datetime import timedelta

import bson
from prometheus_client import REGISTRY
from pymongo import monitoring
from vouchers_shared.observability.store_commands import CommandCounter, collection_of
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import connect

ADDRESS = ("127.0.0.1", 27017)


def count(service: str, command: str, collection: str) -> float:
    value = REGISTRY.get_sample_value(
        "vouchers_store_commands_total", {"service": service, "command": command, "collection": collection}
    )
    return value or 0.0


def sent_bytes(service: str, command: str, collection: str, direction: str) -> float:
    value = REGISTRY.get_sample_value(
        "vouchers_store_command_bytes_total",
        {"service": service, "command": command, "collection": collection, "direction": direction},
    )
    return value or 0.0


def waited(service: str, command: str, collection: str) -> float:
    value = REGISTRY.get_sample_value(
        "vouchers_store_command_seconds_total",
        {"service": service, "command": command, "collection": collection},
    )
    return value or 0.0


def round_trip(
    counter: CommandCounter,
    command: dict[str, object],
    database: str,
    request_id: int,
    reply: dict[str, object] | None = None,
    took: timedelta = timedelta(0),
) -> None:
    name = next(iter(command))
    counter.started(monitoring.CommandStartedEvent(command, database, request_id, ADDRESS, 1))
    if reply is None:
        counter.failed(
            monitoring.CommandFailedEvent(
                took, {"code": 11000}, name, request_id, ADDRESS, 1, database_name=database
            )
        )
    else:
        counter.succeeded(
            monitoring.CommandSucceededEvent(
                took, reply, name, request_id, ADDRESS, 1, database_name=database
            )
        )


def test_each_command_counts_once_under_its_collection_failed_ones_too() -> None:
    service = f"svc-{uuid.uuid4().hex[:6]}"
    counter = CommandCounter(service)
    document = {"_id": "a1", "pad": "x" * 500}
    round_trip(
        counter, {"insert": "applications", "documents": [document]}, "vouchers_intake", 1, {"ok": 1, "n": 1}
    )
    round_trip(counter, {"insert": "applications", "documents": [document]}, "vouchers_intake", 2)
    round_trip(
        counter,
        {"find": "applications", "filter": {"_id": "a1"}},
        "vouchers_intake",
        3,
        {"ok": 1, "cursor": {"firstBatch": [document], "id": 0}},
    )
    round_trip(
        counter,
        {"getMore": 7, "collection": "case_index"},
        "vouchers_notification",
        4,
        {"ok": 1, "cursor": {"nextBatch": [], "id": 0}},
    )
    round_trip(counter, {"ping": 1}, "admin", 5, {"ok": 1})
    assert count(service, "insert", "vouchers_intake.applications") == 2
    assert count(service, "find", "vouchers_intake.applications") == 1
    assert count(service, "getMore", "vouchers_notification.case_index") == 1
    assert count(service, "ping", "admin") == 1
    # What went out and what came back, in BSON bytes: the document travels both ways.
    assert sent_bytes(service, "insert", "vouchers_intake.applications", "request") > 2 * 500
    assert sent_bytes(service, "find", "vouchers_intake.applications", "reply") >= len(bson.encode(document))
    assert sent_bytes(service, "insert", "vouchers_intake.applications", "reply") == len(
        bson.encode({"ok": 1, "n": 1})
    )  # the failed insert's reply is not counted


def test_the_time_to_each_reply_adds_up_under_its_command_failed_ones_too() -> None:
    service = f"svc-{uuid.uuid4().hex[:6]}"
    counter = CommandCounter(service)
    update = {"update": "cases", "updates": []}
    round_trip(counter, update, "db", 1, {"ok": 1, "n": 0}, took=timedelta(milliseconds=12))
    round_trip(counter, update, "db", 2, None, took=timedelta(milliseconds=3, microseconds=500))
    round_trip(counter, {"find": "cases"}, "db", 3, {"ok": 1}, took=timedelta(milliseconds=2))
    assert abs(waited(service, "update", "db.cases") - 0.0155) < 1e-9
    assert abs(waited(service, "find", "db.cases") - 0.002) < 1e-9
    # A reply the counter never saw sent (a listener added mid-command) counts no time.
    counter.succeeded(
        monitoring.CommandSucceededEvent(
            timedelta(seconds=1), {"ok": 1}, "find", 99, ADDRESS, 1, database_name="db"
        )
    )
    assert abs(waited(service, "find", "db.cases") - 0.002) < 1e-9


def test_each_write_counts_the_documents_it_names() -> None:
    service = f"svc-{uuid.uuid4().hex[:6]}"
    counter = CommandCounter(service)
    updates = [{"q": {"_id": i}, "u": {"_id": i, "a": 1}} for i in range(3)]
    round_trip(counter, {"update": "cases", "updates": updates}, "db", 1, {"ok": 1, "n": 3})
    round_trip(counter, {"update": "cases", "updates": updates[:1]}, "db", 2, {"ok": 1, "n": 1})
    round_trip(counter, {"insert": "cases", "documents": [{"_id": 9}, {"_id": 10}]}, "db", 3)
    round_trip(counter, {"delete": "cases", "deletes": [{"q": {"_id": 9}, "limit": 1}]}, "db", 4, {"ok": 1})
    round_trip(counter, {"find": "cases", "filter": {}}, "db", 5, {"ok": 1})

    def named(command: str) -> float:
        labels = {"service": service, "command": command, "collection": "db.cases"}
        return REGISTRY.get_sample_value("vouchers_store_command_documents_total", labels) or 0.0

    assert (named("update"), named("insert"), named("delete"), named("find")) == (4, 2, 1, 0)


def test_the_collection_of_a_command() -> None:
    assert collection_of("update", "db", {"update": "cases", "updates": []}) == "db.cases"
    assert collection_of("getMore", "db", {"getMore": 12, "collection": "cases"}) == "db.cases"
    assert collection_of("ping", "admin", {"ping": 1}) == "admin"


def test_the_listener_is_registered_only_when_asked() -> None:
    def listeners(on: bool) -> list[object]:
        client = connect(CommonSettings(store_command_counts=on), "svc")
        found = list(client.options.event_listeners)
        return found

    assert any(isinstance(x, CommandCounter) for x in listeners(True))
    assert not any(isinstance(x, CommandCounter) for x in listeners(False))
