"""What a service process holds while it runs, built inside the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import structlog
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from vouchers_shared.clock import ProgramClock
from vouchers_shared.messaging.consumer import RecordProcessor
from vouchers_shared.messaging.kafka import ensure_topics
from vouchers_shared.messaging.publisher import KafkaPublisher
from vouchers_shared.observability.catalog import document_publishers
from vouchers_shared.observability.health import health_router
from vouchers_shared.observability.http import HttpMetrics
from vouchers_shared.observability.lag import watch_consumer_lag
from vouchers_shared.observability.logging import configure_logging
from vouchers_shared.settings import CommonSettings
from vouchers_shared.store import Document, connect, ping

log = structlog.get_logger()


@dataclass
class Runtime:
    name: str
    settings: CommonSettings
    broker: KafkaBroker
    mongo: AsyncMongoClient[Document]
    publisher: KafkaPublisher
    processor: RecordProcessor
    clock: ProgramClock
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def run_in_background(self, name: str, coro: Awaitable[None]) -> None:
        self.tasks.append(asyncio.ensure_future(coro))
        log.info("background_task_started", task=name)


Hook = Callable[[Runtime], Awaitable[None]]


@retry(stop=stop_after_delay(120), wait=wait_exponential(max=5),
       retry=retry_if_exception_type(Exception), reraise=True)
async def _ensure_topics_when_kafka_answers(settings: CommonSettings) -> None:
    await ensure_topics(settings)


def service_app(
    name: str,
    settings: CommonSettings,
    broker: KafkaBroker,
    *,
    on_start: Hook,
    on_stop: Hook | None = None,
    routers: Sequence[APIRouter] = (),
    title: str,
) -> tuple[FastAPI, Callable[[], Runtime]]:
    """A FastAPI app running `broker` in its lifespan, with health and metrics endpoints."""
    holder: dict[str, Runtime] = {}

    def current() -> Runtime:
        return holder["runtime"]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        configure_logging(name, settings.log_level)
        await _ensure_topics_when_kafka_answers(settings)
        mongo = connect(settings, name)
        publisher = KafkaPublisher(broker)
        runtime = Runtime(name, settings, broker, mongo, publisher,
                          RecordProcessor(publisher, name),
                          ProgramClock.from_setting(settings.voucher_clock))
        holder["runtime"] = runtime
        await on_start(runtime)
        await broker.start()
        runtime.run_in_background("consumer-lag", watch_consumer_lag(broker))
        log.info("service_started", kafka=settings.kafka_bootstrap_servers)
        try:
            yield
        finally:
            for task in runtime.tasks:
                task.cancel()
            for task in runtime.tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await broker.stop()
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
    app.add_middleware(HttpMetrics)
    app.include_router(health_router(readiness))
    for router in routers:
        app.include_router(router)
    return app, current
