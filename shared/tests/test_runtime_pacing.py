"""A periodic job with an idle pace: at its pace while work comes in, slower once a whole round
passed without any, and back at its pace soon after work comes in again. A job that gives way
leaves rounds out while the process's consumers are behind, for a bounded time."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from vouchers_shared.messaging.backlog import Backlog
from vouchers_shared.runtime import RequestActivity, Runtime
from vouchers_shared.testing.manual_clock import ManualClock


def runtime(backlog: Backlog | None = None) -> Runtime:
    fake: Any = None
    processor: Any = SimpleNamespace(backlog=backlog) if backlog else None
    return Runtime("test", fake, fake, fake, fake, processor, fake)


class Rounds:
    """A job that notes the clock's reading at each round."""

    def __init__(self, clock: ManualClock) -> None:
        self.at: list[float] = []
        self._clock, self._grew = clock, asyncio.Event()

    async def job(self) -> None:
        self.at.append(self._clock.now)
        self._grew.set()

    async def reach(self, count: int, within_s: float = 5.0) -> None:
        async def wait() -> None:
            while len(self.at) < count:
                self._grew.clear()
                await self._grew.wait()

        await asyncio.wait_for(wait(), within_s)


async def rounds_in(rt: Runtime, seconds: float, rounds: list[float]) -> int:
    before = len(rounds)
    await asyncio.sleep(seconds)
    return len(rounds) - before


async def test_quiet_the_job_slows_to_its_idle_pace_and_work_brings_it_back() -> None:
    rt = runtime()
    loop = asyncio.get_running_loop()
    rounds: list[float] = []

    async def job() -> None:
        rounds.append(loop.time())

    rt.every("sweep", 0.05, job, idle_interval_s=3600)
    try:
        assert await rounds_in(rt, 0.5, rounds) <= 2  # the first round, then idle
        rt.touch()  # a record came in
        await asyncio.sleep(0.03)
        woke = len(rounds)
        busy = 0
        for _ in range(8):  # work keeps coming: rounds at the job's pace
            rt.touch()
            busy += await rounds_in(rt, 0.1, rounds)
        assert busy >= 5
        assert rounds[woke] - rounds[woke - 1] < 1.0  # woken, not left for the idle hour
        await asyncio.sleep(0.3)
        assert await rounds_in(rt, 0.5, rounds) == 0  # quiet again
    finally:
        await rt.drain(timeout_s=5)


async def test_without_an_idle_pace_the_job_keeps_its_pace_when_quiet() -> None:
    rt = runtime()
    rounds: list[float] = []

    async def job() -> None:
        rounds.append(0.0)

    rt.every("letters", 0.05, job)
    try:
        assert await rounds_in(rt, 0.5, rounds) >= 5
    finally:
        await rt.drain(timeout_s=5)


async def test_an_idle_job_stops_at_once_at_shutdown() -> None:
    rt = runtime()
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    rt.every("sweep", 0.01, job, idle_interval_s=3600)
    await asyncio.wait_for(ran.wait(), 5)
    await asyncio.sleep(0.1)  # idling now
    loop = asyncio.get_running_loop()
    began = loop.time()
    await rt.drain(timeout_s=30)
    assert loop.time() - began < 1.0


async def test_requests_that_may_write_count_as_activity_reads_do_not() -> None:
    touched: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    middleware = RequestActivity(app, lambda: touched.append("x"))
    for method in ("GET", "HEAD", "OPTIONS"):
        await middleware({"type": "http", "method": method}, None, None)
    await middleware({"type": "lifespan"}, None, None)
    assert touched == []
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        await middleware({"type": "http", "method": method}, None, None)
    assert len(touched) == 4


async def test_behind_the_job_leaves_rounds_out_for_at_most_its_give_way() -> None:
    clock = ManualClock()
    backlog = Backlog(hold_s=3600, clock=clock)
    rt = runtime(backlog)
    rounds = Rounds(clock)
    rt.every("letters", 0.01, rounds.job, gives_way_s=60)
    try:
        await rounds.reach(3)  # nothing behind: at its pace
        backlog.batch(100, most=100)
        await asyncio.sleep(0.05)  # a round under way finishes
        left_at = len(rounds.at)
        await asyncio.sleep(0.2)
        assert len(rounds.at) == left_at  # behind: no round
        clock.now += 59.9
        await asyncio.sleep(0.1)
        assert len(rounds.at) == left_at
        clock.now += 0.1  # a minute since its last round: one round all the same
        await rounds.reach(left_at + 1)
        await asyncio.sleep(0.2)
        assert len(rounds.at) == left_at + 1  # and it gives way again, from that round
        clock.now += 3600  # caught up: the hold after the last full batch passed
        await rounds.reach(left_at + 4)
    finally:
        await rt.drain(timeout_s=5)


async def test_a_job_that_gives_way_for_no_time_keeps_its_pace_behind() -> None:
    clock = ManualClock()
    backlog = Backlog(hold_s=3600, clock=clock)
    backlog.batch(1, most=1)
    rt = runtime(backlog)
    rounds = Rounds(clock)
    rt.every("letters", 0.01, rounds.job, gives_way_s=0)
    try:
        await rounds.reach(5)
    finally:
        await rt.drain(timeout_s=5)


async def test_a_job_that_gives_way_stops_at_once_at_shutdown() -> None:
    backlog = Backlog(hold_s=3600)
    rt = runtime(backlog)
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    rt.every("letters", 0.01, job, gives_way_s=3600)
    await asyncio.wait_for(ran.wait(), 5)
    backlog.batch(1, most=1)
    await asyncio.sleep(0.1)  # giving way now
    loop = asyncio.get_running_loop()
    began = loop.time()
    await rt.drain(timeout_s=30)
    assert loop.time() - began < 1.0


async def test_quiet_while_neither_behind_nor_stopping() -> None:
    clock = ManualClock()
    backlog = Backlog(hold_s=10, clock=clock)
    rt = runtime(backlog)
    assert rt.quiet()
    backlog.batch(100, most=100)
    assert not rt.quiet()  # behind: a job takes no round more than it must
    clock.now += 10
    assert rt.quiet()
    await rt.drain(timeout_s=1)
    assert not rt.quiet()  # stopping
