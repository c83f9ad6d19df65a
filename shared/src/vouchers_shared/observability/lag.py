"""Consumer lag per partition, computed in the process from `highwater - position`.

FastStream exports no lag metric, and the broker's view (committed offsets per group) needs an
admin client and another scrape target. Each consumer already knows, for every partition it
holds, the partition's high watermark (from its last fetch) and its own position, so every
few seconds this sets `vouchers_consumer_lag{group,topic,partition}` and
`vouchers_consumer_assigned_partitions{group,topic}` from them. A partition that moved to
another replica is removed from this process's series, so a sum over replicas stays right.

The highwater is the one the partition's last fetch answered; while records of that fetch are
still buffered in the consumer no new fetch is made, so the lag can read low by at most what
one fetch returned (`max_partition_fetch_bytes`) until the buffer drains.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from vouchers_shared.observability import metrics

log = structlog.get_logger()
POSITION_TIMEOUT_S = 1.0


class HasSubscribers(Protocol):
    @property
    def subscribers(self) -> Iterable[Any]: ...


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    lag: int


@dataclass
class LagSampler:
    """Reads every started subscriber's consumer and keeps the gauges in step with it."""

    broker: HasSubscribers
    position_timeout_s: float = POSITION_TIMEOUT_S
    _lag_series: set[tuple[str, str, str]] = field(default_factory=set)
    _member_series: set[tuple[str, str]] = field(default_factory=set)

    async def sample(self) -> list[PartitionLag]:
        """One pass over the subscribers; returns the lags it set."""
        lags: list[PartitionLag] = []
        members: dict[tuple[str, str], int] = {}
        for subscriber in self.broker.subscribers:
            consumer = getattr(subscriber, "consumer", None)
            group = getattr(subscriber, "group_id", None)
            if consumer is None or not group:
                continue
            for topic in _subscribed_topics(consumer):
                members.setdefault((group, topic), 0)
            for tp in _assignment(consumer):
                members[(group, tp.topic)] = members.get((group, tp.topic), 0) + 1
                lag = await self._lag(consumer, tp)
                if lag is not None:
                    lags.append(PartitionLag(group, tp.topic, tp.partition, lag))
        self._publish(lags, members)
        return lags

    async def _lag(self, consumer: Any, tp: Any) -> int | None:
        try:
            highwater = consumer.highwater(tp)
            if highwater is None:  # no fetch answered for this partition yet
                return None
            position = await asyncio.wait_for(consumer.position(tp), self.position_timeout_s)
        except Exception:  # revoked since assignment(), or its offset still resetting: next pass
            return None
        if position is None:
            return None
        return max(int(highwater) - int(position), 0)

    def _publish(self, lags: list[PartitionLag], members: dict[tuple[str, str], int]) -> None:
        seen = {(p.group, p.topic, str(p.partition)) for p in lags}
        for p in lags:
            metrics.CONSUMER_LAG.labels(group=p.group, topic=p.topic, partition=str(p.partition)).set(p.lag)
        for gone in self._lag_series - seen:
            with contextlib.suppress(KeyError):
                metrics.CONSUMER_LAG.remove(*gone)
        self._lag_series = seen
        for (group, topic), count in members.items():
            metrics.CONSUMER_MEMBERS.labels(group=group, topic=topic).set(count)
        for gone_member in self._member_series - set(members):
            with contextlib.suppress(KeyError):
                metrics.CONSUMER_MEMBERS.remove(*gone_member)
        self._member_series = set(members)


def _assignment(consumer: Any) -> list[Any]:
    try:
        return sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))
    except Exception:  # the consumer is stopping
        return []


def _subscribed_topics(consumer: Any) -> list[str]:
    try:
        return sorted(consumer.subscription() or ())
    except Exception:  # assigned partitions manually, or stopping
        return []


async def watch_consumer_lag(broker: HasSubscribers, interval_s: float = 5.0) -> None:
    """Sample every `interval_s` seconds until cancelled; a failed pass is logged and skipped."""
    sampler = LagSampler(broker)
    while True:
        try:
            await sampler.sample()
        except Exception as exc:
            log.warning("consumer_lag_sample_failed", error=repr(exc))
        await asyncio.sleep(interval_s)
