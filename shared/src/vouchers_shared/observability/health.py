"""`/health/live`, `/health/ready` and `/metrics` for every service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import BaseModel

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


class Live(BaseModel):
    status: Literal["live"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, bool]


def health_router(readiness: ReadinessCheck) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live", response_model=Live)
    async def live() -> dict[str, str]:
        """The process is up and its event loop answers."""
        return {"status": "live"}

    @router.get(
        "/health/ready",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Kafka or the store does not answer"}},
    )
    async def ready() -> JSONResponse:
        """Kafka and the store answer; a load balancer sends work only when this is 200."""
        checks = await readiness()
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not_ready", "checks": checks}, status_code=200 if ok else 503
        )

    @router.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics() -> Response:
        """Prometheus text format."""
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router
