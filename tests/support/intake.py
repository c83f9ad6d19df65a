"""Intake in-process against the test Kafka and store, and reading back what it published.

In-process means `create_app(Settings(...))` with its lifespan run by the test and requests sent
through `httpx.ASGITransport`, so a test can stand in for the program clock or stop a request
halfway. Tests on one event loop must not block it: waiting here polls with `asyncio.sleep`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx
import jwt
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from fastapi import FastAPI
from intake.app import create_app
from intake.config import Settings
from jwt.warnings import InsecureKeyLengthWarning
from pymongo import AsyncMongoClient
from vouchers_shared.auth import ALGORITHM, AUDIENCE, ISSUER, Role, TokenService
from vouchers_shared.clock import SHANGHAI

from tests.support.infra import Infra
from tests.support.keys import TOKEN_KEY
from tests.support.samples import applicant_block, make_uscc
from tests.support.suite import Suite

T = TypeVar("T")
# Applicants of this run: a block of serials of its own, so a store kept between runs (infra
# from the environment) holds nothing under them yet.
_RUN_BLOCK = applicant_block()


def applicant(serial: int) -> str:
    """The applicant USCC a test owns; each test passes its own serial (0-99)."""
    assert 0 <= serial < 100
    return make_uscc(_RUN_BLOCK + serial)


class SettableClock:
    """A program clock that stands still where the test puts it."""

    def __init__(self, at: str) -> None:
        self.set(at)

    def set(self, at: str) -> None:
        instant = datetime.fromisoformat(at)
        assert instant.tzinfo is not None
        self.at = instant

    def now(self) -> datetime:
        return self.at.astimezone(SHANGHAI)

    def today(self) -> date:
        return self.now().date()


@dataclass
class IntakeEndpoint:
    """Somewhere intake answers, with the key its tokens are signed with."""

    tokens: TokenService

    def client(
        self, role: Role | None = "operator", uscc: str | None = None, token: str | None = None
    ) -> httpx.AsyncClient:
        """A client with a token of `role` (none for role None), or the given token."""
        headers = {}
        if token is None and role is not None:
            token = self.tokens.issue(role, uscc)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(headers=headers, timeout=30.0, **self.connection())

    def connection(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class InProcessIntake(IntakeEndpoint):
    app: FastAPI
    settings: Settings

    def connection(self) -> dict[str, Any]:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return {"transport": transport, "base_url": "http://intake"}


@dataclass
class RunningIntake(IntakeEndpoint):
    """Intake as a process of its own (the suite's, or one a test started)."""

    url: str

    def connection(self) -> dict[str, Any]:
        return {"base_url": self.url}


def intake_settings(infra: Infra, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": infra.kafka_bootstrap,
        "mongodb_url": infra.mongodb_url,
        "voucher_clock": "2026-05-20T10:00:00+08:00",
        "vouchers_local_mode": True,
        "vouchers_token_key": TOKEN_KEY,
        "outbox_relay_interval_s": 0.5,
        "log_level": "WARNING",
        **overrides,
    }
    return Settings(**values)


@asynccontextmanager
async def running_intake(
    infra: Infra, clock: SettableClock | None = None, read_model: bool = False, **overrides: Any
) -> AsyncIterator[InProcessIntake]:
    """Intake with its broker and relay running in this event loop.

    Its read-model consumer only runs when asked for: each joining and leaving of the group
    pauses the suite's own intake while the group rebalances.
    """
    settings = intake_settings(infra, **overrides)
    app = create_app(settings, clock=clock, read_model=read_model)
    async with app.router.lifespan_context(app):
        yield InProcessIntake(TokenService(settings.signing_key()), app, settings)


def suite_intake(suite: Suite) -> RunningIntake:
    return RunningIntake(suite.tokens, suite.urls["intake"])


async def wait_until(
    what: str, probe: Callable[[], Awaitable[T | None]], within: float = 60.0, every: float = 0.2
) -> T:
    """Await `probe` until it returns something truthy; fail naming `what` after `within` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = await probe()
        if value:
            return value
        await asyncio.sleep(every)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def topic_records(infra: Infra, topic: str, within: float = 60.0) -> list[ConsumerRecord]:
    """Every record on `topic`, from the beginning up to its end at the time of the call."""
    # Without a group the consumer is given every partition of the topic, once it knows them.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        async with asyncio.timeout(within):

            async def assigned() -> frozenset[TopicPartition]:
                return frozenset(consumer.assignment())

            tps = sorted(await wait_until(f"the partitions of {topic}", assigned, within, 0.05))
            await consumer.seek_to_beginning(*tps)
            end = await consumer.end_offsets(tps)
            records: list[ConsumerRecord] = []
            for tp in tps:
                while await consumer.position(tp) < end[tp]:
                    batch = await consumer.getmany(tp, timeout_ms=1000)
                    records.extend(r for r in batch.get(tp, []) if r.offset < end[tp])
            return records
    finally:
        await consumer.stop()


async def records_about(
    infra: Infra, topic: str, *, subject: str | None = None, key: str | None = None
) -> list[ConsumerRecord]:
    """The records on `topic` with this `ce_subject` and/or this key."""
    return [
        r
        for r in await topic_records(infra, topic)
        if (subject is None or headers_of(r).get("ce_subject") == subject)
        and (key is None or r.key == key.encode())
    ]


def body_of(record: ConsumerRecord) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(record.value)
    return body


@asynccontextmanager
async def intake_db(infra: Infra) -> AsyncIterator[Any]:
    """Intake's database (`vouchers_intake`) through an async client."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_url, tz_aware=True)
    try:
        yield client["vouchers_intake"]
    finally:
        await client.close()


def expired_token(tokens: TokenService, role: Role = "operator") -> str:
    return tokens.issue(role, None, ttl=timedelta(seconds=-60))


def forged_token(key: str, **claims: Any) -> str:
    """A token with the claims the token code would never put together, signed with `key`
    (which the token code may refuse to sign with) as an outsider holding it would sign it."""
    now = datetime.now(UTC)
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": f"forged:{claims.get('role')}",
        "iat": now,
        "exp": now + timedelta(hours=1),
        "jti": uuid.uuid4().hex,
        **claims,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)  # a short key is the point
        return jwt.encode(body, key, algorithm=ALGORITHM)
