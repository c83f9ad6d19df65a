"""Applications on a running public notice, with the real store on an in-memory document store,
and the notification HTTP API over them (no Kafka: events are kept by a fake publisher)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from notification import operations
from notification.adapters.mongo_store import NotificationStore, StoredCase
from notification.api import ObjectionPolicy, build_router
from notification.domain.case import apply_decision, decide, record
from notification.handlers import Deps
from notification.public_form import build_form_router, html_when_form_too_large
from notification_testkit import TIMEOUT, USCC, at, new_case, verdict
from vouchers_shared import signing_key
from vouchers_shared.auth import TokenService
from vouchers_shared.body_limit import BodySizeLimit, problem_answer
from vouchers_shared.clock import SHANGHAI
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.problem_answers import install_problem_answers
from vouchers_shared.rate_limit import RateLimiter
from vouchers_shared.testing.memory_mongo import MemoryMongo

NOTICE_OPENED = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)  # a Monday: the period starts that day


class SettableClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def today(self) -> Any:
        return self.at.date()


class FakePublisher:
    def __init__(self) -> None:
        self.published: list[Outgoing] = []

    async def publish(self, event: Outgoing) -> None:
        self.published.append(event)

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        raise AssertionError("nothing is published raw here")


class Seconds:
    """A monotonic clock for the rate limiters that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class NoticeWorld:
    mongo: MemoryMongo
    deps: Deps
    clock: SettableClock
    publisher: FakePublisher
    notice_id: str = ""
    application_ids: list[str] = field(default_factory=list)
    seconds: Seconds = field(default_factory=Seconds)
    tokens: TokenService = field(default_factory=lambda: TokenService(signing_key.generate()))

    async def case(self, application_id: str) -> StoredCase:
        stored = await self.deps.store.load(application_id)
        assert stored is not None
        return stored

    def app(
        self,
        *,
        per_client: int = 1000,
        per_contact: int = 1000,
        most_open: int = 20,
        body_limit: int = 64 * 1024,
    ) -> FastAPI:
        policy = ObjectionPolicy(
            per_client=RateLimiter(per_client, clock=self.seconds),
            per_contact=RateLimiter(per_contact, clock=self.seconds),
            most_open=most_open,
        )
        app = FastAPI()
        app.include_router(build_router(lambda: self.deps, self.tokens, 5, policy))
        app.include_router(build_form_router(lambda: self.deps, policy))  # as notification.app does
        install_problem_answers(app)  # as service_app does
        app.add_middleware(BodySizeLimit, limit=body_limit, answer=html_when_form_too_large(problem_answer))
        return app

    def client(self, app: FastAPI, role: str | None = None, ip: str = "198.51.100.7") -> httpx.AsyncClient:
        uscc = USCC if role == "submitter" else None
        headers = {} if role is None else {"Authorization": f"Bearer {self.tokens.issue(role, uscc)}"}  # type: ignore[arg-type]
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(ip, 40000)),
            base_url="http://notification",
            headers=headers,
        )


async def notice_world(count: int = 2) -> NoticeWorld:
    """`count` applications that passed their checks, in one notice opened on NOTICE_OPENED."""
    mongo = MemoryMongo()
    clock, publisher = SettableClock(NOTICE_OPENED), FakePublisher()
    deps = Deps(NotificationStore(mongo.as_client()), clock, TIMEOUT, publisher)
    world = NoticeWorld(mongo, deps, clock, publisher)
    for n in range(1, count + 1):
        application_id = f"APP-2026-{n:04d}"
        case = new_case(application_id)
        passed = {"conflict_of_interest": "clear", "eligibility": "pass", "verification": "verified"}
        for check, outcome in passed.items():
            case = record(case, verdict(check, outcome, f"{application_id}-{check}"))  # type: ignore[arg-type]
        decision = decide(case, at(60), TIMEOUT)
        assert decision is not None
        assert decision.status == "awaiting_notice"
        info = {
            "applicant_name": f"深圳市第{n}号智算科技有限公司",
            "project_title": f"项目{n}",
            "email": f"applicant{n}@example.cn",
        }
        await deps.store.save(StoredCase(apply_decision(case, decision), info, [], [], 0))
        world.application_ids.append(application_id)
    opened = await operations.open_notice(deps, 5)
    world.notice_id = str(opened["notice_id"])
    assert opened["application_ids"] == world.application_ids
    clock.at = NOTICE_OPENED + timedelta(hours=2)
    return world
