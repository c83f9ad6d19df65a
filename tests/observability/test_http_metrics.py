"""HTTP latency is labelled by route template, method and status; ids in paths never become labels."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY
from vouchers_shared.observability.health import health_router
from vouchers_shared.observability.http import HttpMetrics

METRIC = "vouchers_http_request_seconds_count"


def app() -> FastAPI:
    built = FastAPI()
    built.add_middleware(HttpMetrics)

    @built.get("/v1/probe-things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    @built.post("/v1/probe-things", status_code=202)
    async def create() -> dict[str, str]:
        return {"status": "received"}

    async def ready() -> dict[str, bool]:
        return {"store": True}

    built.include_router(health_router(ready))
    return built


def count(**labels: str) -> float:
    return REGISTRY.get_sample_value(METRIC, labels) or 0.0


async def request(method: str, path: str) -> int:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        return (await client.request(method, path)).status_code


async def test_a_request_is_counted_under_its_route_template_not_its_path() -> None:
    route = "/v1/probe-things/{thing_id}"
    before = count(method="GET", route=route, status="200")
    assert await request("GET", "/v1/probe-things/applicant-91440305MA5K00010T") == 200
    assert await request("GET", "/v1/probe-things/another-id") == 200
    assert count(method="GET", route=route, status="200") == before + 2
    labels = [s.labels for m in REGISTRY.collect() for s in m.samples if s.name == METRIC]
    assert not [x for x in labels if "91440305MA5K00010T" in x["route"] or "another-id" in x["route"]]


async def test_the_status_the_app_answered_is_the_label() -> None:
    before = count(method="POST", route="/v1/probe-things", status="202")
    assert await request("POST", "/v1/probe-things") == 202
    assert count(method="POST", route="/v1/probe-things", status="202") == before + 1


async def test_paths_no_route_matches_share_one_label() -> None:
    before = count(method="GET", route="<unmatched>", status="404")
    assert await request("GET", "/v1/no-such/91440305MA5K00010T") == 404
    assert await request("GET", "/wp-login.php") == 404
    assert count(method="GET", route="<unmatched>", status="404") == before + 2


async def test_made_up_methods_share_one_label() -> None:
    before = count(method="OTHER", route="<unmatched>", status="404")
    assert await request("BREW", "/v1/no-such") == 404
    assert count(method="OTHER", route="<unmatched>", status="404") == before + 1


async def test_scrapes_and_health_probes_are_not_measured() -> None:
    before = sum(count(method="GET", route=r, status="200") for r in ("/metrics", "/health/ready"))
    assert await request("GET", "/metrics") == 200
    assert await request("GET", "/health/ready") == 200
    assert sum(count(method="GET", route=r, status="200") for r in ("/metrics", "/health/ready")) == before
