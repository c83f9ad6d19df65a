"""Intake's HTTP API over in-memory fakes of its store and publisher, on a fixed program clock."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from intake.api import ApiDeps, build_router
from intake.domain.status import StatusView
from intake.refdata_loader import RefdataLoader
from intake.submission import Submissions
from vouchers_shared import signing_key
from vouchers_shared.auth import Role, TokenService
from vouchers_shared.clock import Clock, FixedClock
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.problem_answers import install_problem_answers
from vouchers_shared.program import load_program

SAMPLES = Path(__file__).resolve().parents[4] / "deploy" / "sample"
FILED_AT = datetime.fromisoformat("2026-05-20T10:00:00+08:00")


def sample_application(name: str = "approvable") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / "applications" / f"{name}.json").read_text("utf-8"))
    return copy.deepcopy(data["application"])


class FakeStore:
    """Intake's documents in memory: what the filing path writes and reads."""

    def __init__(self) -> None:
        self.applications: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, dict[str, Any]] = {}
        self.views: dict[str, StatusView] = {}
        self.published: list[str] = []  # the applications whose outbox was marked published
        self.marked_together: list[list[str]] = []  # each delete of several markers
        self.fail_marking = False

    async def key_record(self, scope_key: str) -> dict[str, Any] | None:
        return self.keys.get(scope_key)

    async def claim_key(self, scope_key: str, body_hash: str, application_id: str) -> dict[str, Any]:
        return self.keys.setdefault(
            scope_key, {"_id": scope_key, "body_hash": body_hash, "application_id": application_id}
        )

    async def insert_application(self, document: dict[str, Any]) -> bool:
        if document["_id"] in self.applications:
            return False
        self.applications[document["_id"]] = document
        return True

    async def application(self, application_id: str) -> dict[str, Any] | None:
        return self.applications.get(application_id)

    async def mark_published(self, application_id: str) -> None:
        self.published.append(application_id)

    async def mark_all_published(self, application_ids: Sequence[str]) -> None:
        if self.fail_marking:
            raise OSError("the store went away")
        self.marked_together.append(list(application_ids))
        self.published.extend(application_ids)

    async def load_view(self, application_id: str) -> StatusView | None:
        return self.views.get(application_id)

    async def list_views(
        self, filters: dict[str, Any], skip: int, limit: int
    ) -> tuple[int, list[StatusView]]:
        found = [
            v
            for _, v in sorted(self.views.items())
            if all(getattr(v, field) == value for field, value in filters.items())
        ]
        return len(found), found[skip : skip + limit]


class FakePublisher:
    """Records what would go to Kafka: typed events, and raw records (the outbox's)."""

    def __init__(self) -> None:
        self.raw: list[str] = []
        self.published: list[Outgoing] = []

    async def publish(self, event: Outgoing) -> None:
        self.published.append(event)

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        self.raw.append(topic)

    @property
    def nothing(self) -> bool:
        return not self.raw and not self.published


class Intake:
    """Intake's router and error handlers, called through httpx in this process."""

    def __init__(self, clock: Clock | None = None, *, local_mode: bool = False) -> None:
        self.store, self.publisher = FakeStore(), FakePublisher()
        self.tokens = TokenService(signing_key.generate())
        clock = clock or FixedClock(FILED_AT)
        submissions = Submissions(self.store, self.publisher, clock, load_program(2026))  # type: ignore[arg-type]
        deps = ApiDeps(
            self.store,
            submissions,
            RefdataLoader(self.publisher),  # type: ignore[arg-type]
            self.tokens,
            clock,
        )
        self.app = FastAPI()
        self.app.include_router(build_router(lambda: deps, local_mode=local_mode))
        install_problem_answers(self.app)

    async def post(self, path: str, body: Any, role: Role, uscc: str | None = None) -> httpx.Response:
        return await self.request("POST", path, role, uscc, json=body)

    async def request(
        self, method: str, path: str, role: Role | None = None, uscc: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """`method` on `path` with a token of `role` (none without), as httpx takes it."""
        headers = {} if role is None else {"Authorization": f"Bearer {self.tokens.issue(role, uscc)}"}
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://intake", headers=headers
        ) as client:
            return await client.request(method, path, **kwargs)

    async def file(self, application: dict[str, Any]) -> httpx.Response:
        return await self.post("/v1/applications", application, "submitter", application["applicant"]["uscc"])
