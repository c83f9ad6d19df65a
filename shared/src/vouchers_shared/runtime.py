"""What a service process holds while it runs, built inside the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from vouchers_shared.after_reply import AfterReply
from vouchers_shared.body_limit import BodySizeLimit, TooLargeAnswer, problem_answer
from vouchers_shared.clock import ProgramClock
from vouchers_shared.messaging.consumer import RecordProcessor
from vouchers_shared.messaging.kafka import ensure_topics
from vouchers_shared.messaging.publisher import KafkaPublisher
from vouchers_shared.messaging.retry import InfrastructureProbe, RetryPolicy
from vouchers_shared.observability.catalog import document_publishers
from vouchers_shared.observability.health import health_router
from vouchers_shared.observability.http import HttpMetrics
from vouchers_shared.observability.lag import watch_consumer_lag
from vouchers_shared.observability.logging import configure_logging
from vouchers_shared.problem_answers import install_problem_answers
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import Document, connect, ping

log = structlog.get_logger()
BROKER_CLOSE_S = 3.0  # the producer's last flush once the consumers have stopped
PROBE_TIMEOUT_S = 5.0  # as long as the store's server selection: an answer, not a hang


@dataclass
class Runtime:
    name: str
    settings: CommonSettings
    broker: KafkaBroker
    mongo: AsyncMongoClient[Document]
    publisher: KafkaPublisher
    processor: RecordProcessor
    clock: ProgramClock
    tasks: list[asyncio.Task[None]] = field(default_factory=list)  # cancelled at shutdown
    rounds: list[asyncio.Task[None]] = field(default_factory=list)  # let finish their round
    after_reply: AfterReply = field(default_factory=AfterReply)  # let finish too
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    activity: int = 0  # records handled and requests that change something, so far
    _idle_waiters: set[asyncio.Event] = field(default_factory=set)

    def touch(self) -> None:
        """Work came in (a record, a request that writes): jobs idling resume their pace."""
        self.activity += 1
        for waiter in self._idle_waiters:
            waiter.set()

    def quiet(self) -> bool:
        """Neither stopping nor behind on records: a job may take another round at once."""
        return not self.stopping.is_set() and not self.processor.backlog.behind()

    def run_in_background(self, name: str, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self.tasks.append(task)
        log.info("background_task_started", task=name)

    def every(
        self,
        name: str,
        interval_s: float,
        job: Callable[[], Awaitable[object]],
        failed: str = "periodic_job_failed",
        *,
        idle_interval_s: float | None = None,
        gives_way_s: float | None = None,
    ) -> None:
        """Run `job` every `interval_s` until shutdown; a round under way then finishes first
        (a letter half sent, an outbox half published), within the graceful timeout.

        With `idle_interval_s`, a job whose whole last round and wait passed without activity
        (`touch`) waits that long instead, and is back at `interval_s` soon after work comes
        in: for a job whose rounds read much and find something only after work (or a long
        time).

        With `gives_way_s`, a round is left out while the process's consumers are behind (see
        `Backlog`), for up to `gives_way_s` since the last round: for work that can wait while
        records pile up, and would only take the time and the store they need."""
        rounds = self._every(name, interval_s, job, failed, idle_interval_s, gives_way_s)
        self.rounds.append(asyncio.create_task(rounds, name=name))
        log.info("background_task_started", task=name)

    async def _every(
        self,
        name: str,
        interval_s: float,
        job: Callable[[], Awaitable[object]],
        failed: str,
        idle_interval_s: float | None,
        gives_way_s: float | None,
    ) -> None:
        last_round: float | None = None
        giving_way = False
        while not self.stopping.is_set():
            if gives_way_s is not None:
                if self._gives_way(last_round, gives_way_s):
                    if not giving_way:
                        log.info("periodic_job_gives_way", job=name, at_most_s=gives_way_s)
                    giving_way = True
                    await self._pause(interval_s)
                    continue
                giving_way, last_round = False, self.processor.backlog.clock()
            seen = self.activity
            try:
                await job()
            except Exception as exc:  # store, broker or mail server away: next round
                log.warning(failed, job=name, error=repr(exc))
            await self._pause(interval_s)
            quiet = idle_interval_s is not None and self.activity == seen
            if quiet and await self._idle((idle_interval_s or 0.0) - interval_s):
                await self._pause(interval_s)  # let the work that woke it land first

    def _gives_way(self, last_round: float | None, most_s: float) -> bool:
        """Whether a job leaves this round out: the consumers are behind, and its last round is
        less than `most_s` ago."""
        backlog = self.processor.backlog
        return last_round is not None and backlog.behind() and backlog.clock() - last_round < most_s

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def _idle(self, seconds: float) -> bool:
        """Wait up to `seconds` for activity or shutdown; True if activity ended the wait."""
        if seconds <= 0:
            return False
        woken = asyncio.Event()
        self._idle_waiters.add(woken)
        try:
            waits = [asyncio.ensure_future(woken.wait()), asyncio.ensure_future(self.stopping.wait())]
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            for wait in waits:
                wait.cancel()
            return woken.is_set() and not self.stopping.is_set()
        finally:
            self._idle_waiters.discard(woken)

    async def drain(self, timeout_s: float) -> None:
        """Stop the background work: rounds under way may finish within `timeout_s`; the rest
        is cancelled. Never waits longer, even for a task that does not end when cancelled."""
        self.stopping.set()
        for task in self.tasks:
            task.cancel()
        running = [*self.tasks, *self.rounds, *self.after_reply.under_way()]
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=timeout_s)
        for task in late:
            log.warning("background_task_cancelled", task=task.get_name(), timeout_s=timeout_s)
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1.0)


async def _bounded(step: str, work: Awaitable[object], timeout_s: float) -> None:
    """Run one shutdown step for at most `timeout_s`; a step that overruns is left behind."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if not done:
        log.warning("shutdown_step_overran", step=step, timeout_s=timeout_s)
        task.cancel()
    elif task.exception() is not None:
        log.warning("shutdown_step_failed", step=step, error=repr(task.exception()))


async def _stop_consuming(broker: KafkaBroker) -> None:
    """Stop every subscriber: each finishes (and commits) the record in hand, within the
    broker's graceful timeout; the producer stays up for what the last rounds publish."""
    await asyncio.gather(*(sub.stop() for sub in broker.subscribers), return_exceptions=True)


Hook = Callable[[Runtime], Awaitable[None]]
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RequestActivity:
    """ASGI middleware: a request that may change something counts as activity (see `every`)."""

    def __init__(self, app: Any, touch: Callable[[], None]) -> None:
        self.app, self.touch = app, touch

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") not in READ_ONLY_METHODS:
            self.touch()
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class Wiring:
    """What the lifespan puts together, kept on `app.state.wiring`: a test can then run the
    service's subscribers on a runtime of its own, without Kafka or a store (see
    vouchers_shared.testing.in_memory)."""

    name: str
    settings: CommonSettings
    on_start: Hook
    adopt: Callable[[Runtime], None]  # the runtime whose processor the subscribers use


@retry(
    stop=stop_after_delay(120),
    wait=wait_exponential(max=5),
    retry=retry_if_exception_type(Exception),
    reraise=True,
)
async def _ensure_topics_when_kafka_answers(settings: CommonSettings) -> None:
    await ensure_topics(settings)


def _store_and_broker_probe(mongo: AsyncMongoClient[Document], broker: KafkaBroker) -> InfrastructureProbe:
    """Both must answer for a failing record to be blamed for its failure."""

    async def both_answer() -> bool:
        return await ping(mongo) and bool(await broker.ping(timeout=PROBE_TIMEOUT_S))

    return InfrastructureProbe(both_answer)


def service_app(
    name: str,
    settings: CommonSettings,
    broker: KafkaBroker,
    *,
    on_start: Hook,
    on_stop: Hook | None = None,
    routers: Sequence[APIRouter] = (),
    title: str,
    too_large_answer: TooLargeAnswer = problem_answer,
) -> tuple[FastAPI, Callable[[], Runtime]]:
    """A FastAPI app running `broker` in its lifespan, with health and metrics endpoints; every
    error is answered as a problem (`vouchers_shared.problems`), a request body over
    HTTP_MAX_BODY_BYTES with a 413 unread (`too_large_answer`: the problem unless told)."""
    holder: dict[str, Runtime] = {}

    def current() -> Runtime:
        return holder["runtime"]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        configure_logging(name, settings.log_level)
        await _ensure_topics_when_kafka_answers(settings)
        mongo = connect(settings, name)
        publisher = KafkaPublisher(broker)
        processor = RecordProcessor(
            publisher, name, RetryPolicy.from_settings(settings), _store_and_broker_probe(mongo, broker)
        )
        runtime = Runtime(
            name,
            settings,
            broker,
            mongo,
            publisher,
            processor,
            ProgramClock.from_setting(settings.voucher_clock),
        )
        holder["runtime"] = runtime
        await on_start(runtime)
        await broker.start()
        runtime.run_in_background("consumer-lag", watch_consumer_lag(broker))
        log.info("service_started", kafka=settings.kafka_bootstrap_servers)
        try:
            yield
        finally:
            # Within GRACEFUL_TIMEOUT_S (after uvicorn's as long for open requests): consumers
            # finish the record in hand while periodic jobs finish their round, side by side;
            # then the producer closes. No step may keep the process past the deploy's grace.
            grace = settings.graceful_timeout_s
            await asyncio.gather(
                runtime.drain(grace), _bounded("stop consuming", _stop_consuming(broker), grace + 1.0)
            )
            await _bounded("stop the broker", broker.stop(), BROKER_CLOSE_S)
            if on_stop is not None:
                await on_stop(runtime)
            await mongo.close()
            log.info("service_stopped")

    async def readiness() -> dict[str, bool]:
        runtime = holder.get("runtime")
        if runtime is None:
            return {"kafka": False, "store": False}
        kafka_ok = await broker.ping(timeout=2.0)
        return {"kafka": bool(kafka_ok), "store": await ping(runtime.mongo)}

    configure_logging(name, settings.log_level)  # before uvicorn's first line, not at lifespan
    document_publishers(broker, name)
    app = FastAPI(title=title, lifespan=lifespan)
    app.state.broker = broker  # for the AsyncAPI document (vouchers_shared.observability.docs)
    install_problem_answers(app)
    app.state.wiring = Wiring(name, settings, on_start, partial(holder.__setitem__, "runtime"))
    app.add_middleware(BodySizeLimit, limit=settings.http_max_body_bytes, answer=too_large_answer)

    def touch() -> None:
        if (runtime := holder.get("runtime")) is not None:
            runtime.touch()

    app.add_middleware(RequestActivity, touch=touch)
    app.add_middleware(HttpMetrics)  # outermost: refused bodies are counted too
    app.include_router(health_router(readiness))
    for router in routers:
        app.include_router(router)
    return app, current
