"""Validating a reference-data kind and publishing it as one versioned snapshot."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from vouchers_shared import topics
from vouchers_shared.errors import DomainRuleError
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.publisher import Outgoing, Publisher
from vouchers_shared.problem_answers import field_path
from vouchers_shared.refdata import ITEM_LISTS, ITEM_MODELS, MAX_ITEMS, Snapshot, table_problems
from vouchers_shared.refdata_checks import snapshot_problems

SOURCE = "/vouchers/refdata"
MAX_ERRORS = 200


class RefdataRefused(DomainRuleError):
    """A load refused as a whole: a problem naming every item and field at fault in `errors`."""

    def __init__(
        self,
        status: int,
        errors: list[dict[str, str]],
        code: str = "VALIDATION_FAILED",
        message: str = "",
        message_zh: str | None = None,
    ) -> None:
        n = len(errors)
        super().__init__(message or f"the load has {n} problem{'' if n == 1 else 's'}; see errors")
        self.http_status, self.code, self.errors = status, code, errors
        self.message_zh = message_zh or f"该批参考数据有 {n} 处问题，详见 errors"


def build_snapshot(kind: str, items: list[Any], loaded_by: str, now: datetime) -> Snapshot:
    """Validate every item of `kind`, then the items together (`refdata_checks`); every problem
    is listed, naming its rows, and nothing is half-loaded."""
    if kind not in ITEM_MODELS:
        kinds = ", ".join(ITEM_MODELS)
        raise RefdataRefused(
            404,
            [{"field": "kind", "code": "UNKNOWN_KIND", "message": f"kinds are {kinds}"}],
            "UNKNOWN_KIND",
            f"no reference data of kind {kind}; kinds are {kinds}",
            f"没有 {kind} 这类参考数据；可用的类别为 {kinds}",
        )
    if len(items) > MAX_ITEMS:
        raise RefdataRefused(
            413,
            [{"field": "", "code": "TOO_MANY_ITEMS", "message": f"at most {MAX_ITEMS} items per load"}],
            "TOO_MANY_ITEMS",
            f"at most {MAX_ITEMS} items per load",
            f"每次至多载入 {MAX_ITEMS} 条",
        )
    try:
        parsed = ITEM_LISTS[kind].validate_python(items)
    except ValidationError as exc:
        raise RefdataRefused(
            422,
            [
                {"field": field_path(e["loc"]), "code": str(e["type"]), "message": str(e["msg"])}
                for e in exc.errors()[:MAX_ERRORS]
            ],
        ) from exc
    rows = table_problems(kind, parsed)
    if rows:
        raise RefdataRefused(
            422,
            [
                {"field": f"[{p.index}].{p.field}", "code": p.code, "message": p.message}
                for p in rows[:MAX_ERRORS]
            ],
        )
    problems = snapshot_problems(kind, parsed)
    if problems:
        raise RefdataRefused(422, [p.as_error() for p in problems[:MAX_ERRORS]])
    canonical = [item.model_dump(mode="json") for item in parsed]
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()[:12]
    version = f"{now.astimezone(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{digest}"
    return Snapshot(kind=kind, version=version, loaded_at=now, loaded_by=loaded_by, items=canonical)


def snapshot_event(snapshot: Snapshot) -> Outgoing:
    return Outgoing(
        topic=topics.refdata_topic(snapshot.kind),
        key=snapshot.kind,
        envelope=Envelope.new(
            topics.REFDATA_LOADED,
            SOURCE,
            snapshot.kind,
            id_=f"refdata/{snapshot.kind}/{snapshot.version}",
            time=snapshot.loaded_at,
        ),
        payload=snapshot,
    )


class RefdataLoader:
    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher

    async def load(self, kind: str, items: list[Any], loaded_by: str) -> Snapshot:
        snapshot = build_snapshot(kind, items, loaded_by, datetime.now(UTC))
        await self._publisher.publish(snapshot_event(snapshot))
        return snapshot
