"""Shutting down: a periodic round under way finishes, no new round starts, and what runs forever
or past the graceful timeout is cancelled."""

from __future__ import annotations

import asyncio
from typing import Any

from vouchers_shared.runtime import Runtime


def runtime() -> Runtime:
    fake: Any = None
    return Runtime("test", fake, fake, fake, fake, fake, fake)


async def test_a_round_under_way_finishes_and_no_new_round_starts() -> None:
    rt = runtime()
    started, finished = asyncio.Event(), []

    async def job() -> None:
        started.set()
        await asyncio.sleep(0.3)  # e.g. a letter half sent
        finished.append(True)

    rt.every("letters", 0.01, job)
    await asyncio.wait_for(started.wait(), 5)
    await rt.drain(timeout_s=5)
    assert finished == [True]
    assert all(task.done() for task in rt.rounds)


async def test_between_rounds_the_job_stops_at_once() -> None:
    rt = runtime()
    rounds: list[int] = []
    ran = asyncio.Event()

    async def job() -> None:
        rounds.append(1)
        ran.set()

    rt.every("sweep", 3600, job)
    await asyncio.wait_for(ran.wait(), 5)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await rt.drain(timeout_s=30)
    assert loop.time() - began < 1.0  # it was waiting for the next round, not working
    assert rounds == [1]


async def test_a_round_past_the_graceful_timeout_is_cancelled() -> None:
    rt = runtime()
    started, cancelled = asyncio.Event(), []

    async def stuck() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    rt.every("relay", 1, stuck)
    await asyncio.wait_for(started.wait(), 5)
    await rt.drain(timeout_s=0.2)
    assert cancelled == [True]


async def test_background_tasks_that_run_forever_are_cancelled() -> None:
    rt = runtime()

    async def forever() -> None:
        await asyncio.sleep(3600)

    rt.run_in_background("gauge", forever())
    await rt.drain(timeout_s=5)
    assert all(task.cancelled() for task in rt.tasks)


async def test_a_failing_round_is_logged_and_the_next_one_runs() -> None:
    rt = runtime()
    calls: list[int] = []
    again = asyncio.Event()

    async def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("store away")
        again.set()

    rt.every("sweep", 0.01, flaky)
    await asyncio.wait_for(again.wait(), 5)
    await rt.drain(timeout_s=5)
    assert len(calls) >= 2


async def test_a_task_that_ignores_cancellation_does_not_hold_the_shutdown() -> None:
    rt = runtime()
    released = asyncio.Event()

    async def stubborn() -> None:
        while not released.is_set():
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:  # as a cancellation lost in asyncio.wait_for can be
                continue

    rt.run_in_background("stubborn", stubborn())
    loop = asyncio.get_running_loop()
    began = loop.time()
    await rt.drain(timeout_s=0.2)
    assert loop.time() - began < 3.0
    released.set()
    rt.tasks[0].cancel()
    await asyncio.wait(rt.tasks, timeout=5)


async def test_work_left_after_a_reply_finishes_within_the_timeout() -> None:
    rt = runtime()
    finished: list[str] = []

    async def publish() -> None:
        await asyncio.sleep(0.2)  # e.g. a filing's event on its way to the broker
        finished.append("published")

    async def hangs() -> None:
        await asyncio.Event().wait()

    assert rt.after_reply.take("publish", publish)
    assert rt.after_reply.take("hangs", hangs)
    await rt.drain(timeout_s=1.0)
    assert finished == ["published"]
    assert rt.after_reply.under_way() == []  # the one past the timeout was cancelled
