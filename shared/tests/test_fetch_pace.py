"""A consumer's fetches wait the short wait from a batch on, and the idle wait again once no
batch came for a while; a consumer without a fetcher is left alone."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from vouchers_shared.messaging.subscribe import BUSY_FETCH_WAIT_MS, IDLE_FETCH_WAIT_MS, FetchPace

QUIET_AFTER_S = 1.0


def started_consumer() -> SimpleNamespace:
    return SimpleNamespace(_fetcher=SimpleNamespace(_fetch_max_wait_ms=IDLE_FETCH_WAIT_MS))


async def test_a_batch_shortens_the_wait_until_the_consumer_is_quiet_again() -> None:
    consumer, pace = started_consumer(), FetchPace(QUIET_AFTER_S)

    pace.busy(consumer)
    assert consumer._fetcher._fetch_max_wait_ms == BUSY_FETCH_WAIT_MS < IDLE_FETCH_WAIT_MS
    await asyncio.sleep(QUIET_AFTER_S + 0.5)

    assert consumer._fetcher._fetch_max_wait_ms == IDLE_FETCH_WAIT_MS


async def test_each_batch_starts_the_quiet_time_again() -> None:
    consumer, pace = started_consumer(), FetchPace(QUIET_AFTER_S)

    pace.busy(consumer)
    await asyncio.sleep(QUIET_AFTER_S * 0.6)
    pace.busy(consumer)
    await asyncio.sleep(QUIET_AFTER_S * 0.6)  # past the first batch's quiet time, not the second's
    assert consumer._fetcher._fetch_max_wait_ms == BUSY_FETCH_WAIT_MS

    await asyncio.sleep(QUIET_AFTER_S)
    assert consumer._fetcher._fetch_max_wait_ms == IDLE_FETCH_WAIT_MS


async def test_a_consumer_without_a_fetcher_is_left_as_it_is() -> None:
    for consumer in (SimpleNamespace(), SimpleNamespace(_fetcher=None)):
        FetchPace(QUIET_AFTER_S).busy(consumer)
        assert vars(consumer) in ({}, {"_fetcher": None})
