"""Loading `providers` reference data, over HTTP and by the command line: ambiguous rows are
refused with the row named and nothing is published; admissions are kept as given."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from intake import cli
from intake.api import ApiDeps, build_router
from intake.refdata_loader import RefdataLoader, RefdataRefused, build_snapshot
from vouchers_shared import signing_key
from vouchers_shared.auth import TokenService
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.problem_answers import install_problem_answers
from vouchers_shared.settings import CommonSettings

KEY = signing_key.generate()
P1, P2 = "91440304MA5K00001E", "91440305MA5K000020"
ADDED = {
    "uscc": P1,
    "name": "深圳市甲算力服务有限公司",
    "batch": 1,
    "admissions": [{"batch": 2, "service_types": ["inference"]}],
}
PLAIN = {"uscc": P2, "name": "深圳市乙智算科技有限公司", "batch": 2}
# Two plain rows for P1 (batch 1, then batch 2): which window its contracts keep is ambiguous.
TWICE = [
    {"uscc": P1, "name": "深圳市甲算力服务有限公司", "batch": 1},
    PLAIN,
    {"uscc": P1, "name": "深圳市甲算力服务有限公司", "batch": 2},
]


class RecordingPublisher:
    """Keeps what would have gone to Kafka."""

    def __init__(self) -> None:
        self.published: list[Outgoing] = []

    async def publish(self, event: Outgoing) -> None:
        self.published.append(event)

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        raise AssertionError("a reference-data load publishes a snapshot event")

    async def __aenter__(self) -> RecordingPublisher:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None


def test_a_provider_listed_twice_is_refused_naming_the_repeated_row() -> None:
    with pytest.raises(RefdataRefused) as refused:
        build_snapshot("providers", TWICE, "operator", datetime.now(UTC))
    assert refused.value.http_status == 422
    [error] = refused.value.errors
    assert (error["field"], error["code"]) == ("[2].uscc", "DUPLICATE_PROVIDER")
    assert "row 0" in error["message"]


def test_admissions_are_kept_in_the_snapshot_as_given() -> None:
    snapshot = build_snapshot("providers", [ADDED, PLAIN], "operator", datetime.now(UTC))
    assert snapshot.items == [ADDED, PLAIN]


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, RecordingPublisher]]:
    publisher = RecordingPublisher()
    unused = cast(Any, None)  # the reference-data route needs neither the store nor filing
    deps = ApiDeps(
        store=unused,
        submissions=unused,
        refdata=RefdataLoader(publisher),
        tokens=TokenService(KEY),
        clock=unused,
    )
    app = FastAPI()
    install_problem_answers(app)
    app.include_router(build_router(lambda: deps, local_mode=False))
    headers = {"Authorization": f"Bearer {TokenService(KEY).issue('operator')}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c, publisher


@pytest.mark.parametrize(
    ("items", "field", "code"),
    [
        (TWICE, "[2].uscc", "DUPLICATE_PROVIDER"),
        (
            [PLAIN, {**ADDED, "admissions": [{"batch": 4, "service_types": ["inference"]}]}],
            "[1].admissions[0].batch",
            "literal_error",
        ),
        (
            [{**ADDED, "admissions": [{"batch": 2, "service_types": ["hosting"]}]}],
            "[0].admissions[0].service_types[0]",
            "literal_error",
        ),
        (
            [{**PLAIN, "admissions": [{"batch": 1, "service_types": ["training"]}]}],
            "[0].admissions",
            "value_error",
        ),
    ],
)
async def test_an_ambiguous_providers_load_over_http_is_a_422_and_publishes_nothing(
    client: tuple[httpx.AsyncClient, RecordingPublisher],
    items: list[dict[str, Any]],
    field: str,
    code: str,
) -> None:
    http, publisher = client
    response = await http.post("/v1/refdata/providers", json=items)
    assert response.status_code == 422, response.text
    assert (field, code) in [(e["field"], e["code"]) for e in response.json()["errors"]]
    assert publisher.published == []


async def test_a_providers_load_with_admissions_over_http_is_published_as_given(
    client: tuple[httpx.AsyncClient, RecordingPublisher],
) -> None:
    http, publisher = client
    response = await http.post("/v1/refdata/providers", json=[ADDED, PLAIN])
    assert response.status_code == 202, response.text
    [event] = publisher.published
    assert json.loads(event.body())["items"] == [ADDED, PLAIN]


async def test_the_command_line_refuses_a_provider_listed_twice_and_publishes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publisher = RecordingPublisher()
    monkeypatch.setattr(cli, "StandalonePublisher", lambda _settings: publisher)
    monkeypatch.setattr(cli, "ensure_topics", _no_topics)
    file = tmp_path / "providers.json"
    file.write_text(json.dumps(TWICE, ensure_ascii=False), encoding="utf-8")

    code = await cli.load_refdata(CommonSettings(), "providers", file)

    assert code == 2
    [error] = json.loads(capsys.readouterr().err)["error"]
    assert (error["field"], error["code"]) == ("[2].uscc", "DUPLICATE_PROVIDER")
    assert publisher.published == []


async def _no_topics(_settings: CommonSettings) -> None:
    return None
