"""Store round trips per command and collection, from PyMongo's command monitoring.

On when `STORE_COMMAND_COUNTS=1` (the benchmark turns it on; it costs an encoding of each
command and reply, so it is off by default). Every command the client sends counts once, a
failed one too (a duplicate key is a round trip like any other), as
`vouchers_store_commands_total{service,command,collection}`; the BSON sizes of what went out
and what came back as `vouchers_store_command_bytes_total{...,direction}`; and the time from
each command's send to its reply as the driver measures it (the store's work and queue, the
network, and the process's own event loop coming to the reply; not the wait for a connection)
as `vouchers_store_command_seconds_total{...}`; and the documents each write names (inserted,
updated or replaced, deleted) as `vouchers_store_command_documents_total{...}`: on the local
store a replacement costs about as much as ten inserts, so how often a document is rewritten
says more of the store's work than the round trips. `collection` is `database.collection`, or
the database alone for a command on none (`ping`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import bson
from prometheus_client import Counter
from pymongo import monitoring

STORE_COMMANDS = Counter(
    "vouchers_store_commands_total",
    "Commands sent to the store (round trips)",
    ["service", "command", "collection"],
)
STORE_COMMAND_BYTES = Counter(
    "vouchers_store_command_bytes_total",
    "BSON bytes of store commands and replies",
    ["service", "command", "collection", "direction"],
)
STORE_COMMAND_SECONDS = Counter(
    "vouchers_store_command_seconds",
    "Time from sending a store command to its reply",
    ["service", "command", "collection"],
)
STORE_COMMAND_DOCUMENTS = Counter(
    "vouchers_store_command_documents",
    "Documents named by store writes: inserted, updated or replaced, deleted",
    ["service", "command", "collection"],
)
WRITTEN = {"insert": "documents", "update": "updates", "delete": "deletes"}  # command: its list


def collection_of(command_name: str, database: str, command: Mapping[str, Any]) -> str:
    """`database.collection` a command works on; the database alone when it names none."""
    target = command.get("collection") if command_name == "getMore" else command.get(command_name)
    return f"{database}.{target}" if isinstance(target, str) and target else database


def documents_named(command_name: str, command: Mapping[str, Any]) -> int:
    """How many documents a write command names (its inserts, updates or deletes); 0 for others."""
    items = command.get(WRITTEN.get(command_name, ""))
    return len(items) if isinstance(items, list) else 0


def encoded_size(document: Mapping[str, Any]) -> int:
    try:
        return len(bson.encode(document))
    except Exception:  # something BSON cannot hold: the count still stands
        return 0


class CommandCounter(monitoring.CommandListener):
    """Counts every command of one service's client (see the module docstring)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._pending: dict[tuple[Any, int], tuple[str, str]] = {}
        self._lock = threading.Lock()  # PyMongo may call back from its own threads

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        labels = (event.command_name, collection_of(event.command_name, event.database_name, event.command))
        with self._lock:
            self._pending[(event.connection_id, event.request_id)] = labels
        STORE_COMMANDS.labels(self.service, *labels).inc()
        STORE_COMMAND_BYTES.labels(self.service, *labels, "request").inc(encoded_size(event.command))
        if named := documents_named(event.command_name, event.command):
            STORE_COMMAND_DOCUMENTS.labels(self.service, *labels).inc(named)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        labels = self._done(event)
        if labels is not None:
            STORE_COMMAND_BYTES.labels(self.service, *labels, "reply").inc(encoded_size(event.reply))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._done(event)

    def _done(
        self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent
    ) -> tuple[str, str] | None:
        with self._lock:
            labels = self._pending.pop((event.connection_id, event.request_id), None)
        if labels is not None:
            STORE_COMMAND_SECONDS.labels(self.service, *labels).inc(event.duration_micros / 1e6)
        return labels
