"""Running a record handler over a whole batch, for a folding handler (see consumer.Fold)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing


async def each_in_order(
    batch: Sequence[Inbound], handle: Callable[[Inbound], Awaitable[Sequence[Outgoing]]]
) -> list[Outgoing]:
    """`handle` every record: one applicant's (one key's) in their order, applicants side by
    side; every record is run before the first error, if any, is raised."""

    async def in_order(records: list[Inbound]) -> list[Outgoing]:
        events: list[Outgoing] = []
        for record in records:
            with record.log_context():
                events.extend(await handle(record))
        return events

    groups: dict[object, list[Inbound]] = {}
    for record in batch:
        groups.setdefault(record.key or (record.topic, record.partition), []).append(record)
    outcomes = await asyncio.gather(*(in_order(g) for g in groups.values()), return_exceptions=True)
    events: list[Outgoing] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        events.extend(outcome)
    return events
