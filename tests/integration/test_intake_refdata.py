"""Reference data loads, by the operators' command line and over HTTP: each kind validated and
published as one versioned snapshot on its compacted topic, an invalid load never published.

A load replaces its kind for every service of the session, so the loads that succeed here send
the kind's current content again (a new version of the same items)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from vouchers_shared import topics

from tests.support.infra import Infra
from tests.support.intake import (
    InProcessIntake,
    applicant,
    body_of,
    headers_of,
    running_intake,
    topic_records,
)
from tests.support.samples import refdata

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
CLI = Path(sys.executable).with_name("vouchers")


@pytest.fixture(scope="module")
async def intake(infra: Infra) -> AsyncIterator[InProcessIntake]:
    async with running_intake(infra) as running:
        yield running


async def vouchers(infra: Infra, *args: str) -> tuple[int, str, str]:
    """Run the operators' command line; returns its exit code, stdout and stderr."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap}
    proc = await asyncio.create_subprocess_exec(
        str(CLI), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def current_items(infra: Infra, kind: str) -> list[dict[str, Any]]:
    """What the services hold for `kind` now: its latest snapshot, or the sample data."""
    records = [r for r in await topic_records(infra, topics.refdata_topic(kind)) if r.key == kind.encode()]
    if not records:
        return refdata()[kind]
    items: list[dict[str, Any]] = body_of(max(records, key=lambda r: r.offset))["items"]
    return items


async def mentions(infra: Infra, kind: str, marker: str) -> bool:
    return any(
        marker.encode() in (r.value or b"") for r in await topic_records(infra, topics.refdata_topic(kind))
    )


async def test_the_command_line_publishes_a_versioned_snapshot(infra: Infra, tmp_path: Path) -> None:
    items = await current_items(infra, "providers")
    file = tmp_path / "providers.json"
    file.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")

    code, out, err = await vouchers(infra, "refdata", "load", "providers", str(file))

    assert code == 0, err
    answer = json.loads(out)
    assert answer["kind"] == "providers"
    assert answer["items"] == len(items)
    records = [
        r
        for r in await topic_records(infra, topics.refdata_topic("providers"))
        if headers_of(r)["ce_id"] == f"refdata/providers/{answer['version']}"
    ]
    assert len(records) == 1
    record = records[0]
    assert record.key == b"providers"
    ce = headers_of(record)
    assert (ce["ce_type"], ce["ce_specversion"], ce["ce_subject"]) == ("refdata.loaded", "1.0", "providers")
    snapshot = body_of(record)
    assert (snapshot["kind"], snapshot["version"], snapshot["loaded_by"]) == (
        "providers",
        answer["version"],
        "cli",
    )
    assert snapshot["items"] == items


async def test_the_command_line_refuses_an_invalid_file_and_publishes_nothing(
    infra: Infra, tmp_path: Path
) -> None:
    marker = f"无效服务商-{uuid.uuid4().hex[:8]}"
    uscc = applicant(70)
    wrong_check_digit = uscc[:-1] + ("1" if uscc[-1] == "0" else "0")
    items = [*refdata()["providers"], {"uscc": wrong_check_digit, "name": marker, "batch": 4}]
    file = tmp_path / "providers.json"
    file.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    not_a_list = tmp_path / "object.json"
    not_a_list.write_text(json.dumps({"name": marker}), encoding="utf-8")

    code, out, err = await vouchers(infra, "refdata", "load", "providers", str(file))
    object_code, _, object_err = await vouchers(infra, "refdata", "load", "providers", str(not_a_list))
    unknown_code, _, _ = await vouchers(infra, "refdata", "load", "suppliers", str(file))

    assert code != 0
    assert out == ""
    fields = {e["field"] for e in json.loads(err)["error"]}
    assert fields == {f"[{len(items) - 1}].uscc", f"[{len(items) - 1}].batch"}
    assert object_code != 0
    assert "no 'providers' array" in object_err  # an object of arrays by kind, without this kind
    assert unknown_code != 0
    assert not await mentions(infra, "providers", marker)


async def test_an_invalid_item_over_http_is_a_422_naming_its_index(
    infra: Infra, intake: InProcessIntake
) -> None:
    marker = f"p-marker-{uuid.uuid4().hex[:8]}"
    good = {"holder_id": marker, "holder_kind": "person", "held_uscc": applicant(71), "pct": "10.00"}
    items = [good, good, good, {**good, "pct": "150.00"}, good]

    async with intake.client("operator") as client:
        response = await client.post("/v1/refdata/holdings", json=items)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["[3].pct"]
    assert not await mentions(infra, "holdings", marker)


async def test_an_unknown_kind_over_http_is_a_404(intake: InProcessIntake) -> None:
    async with intake.client("operator") as client:
        response = await client.post("/v1/refdata/suppliers", json=refdata()["providers"])

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "UNKNOWN_KIND"


async def test_an_operator_load_over_http_is_published_under_its_version(
    infra: Infra, intake: InProcessIntake
) -> None:
    items = await current_items(infra, "providers")

    async with intake.client("operator") as client:
        response = await client.post("/v1/refdata/providers", json=items)

    assert response.status_code == 202, response.text
    version = response.json()["version"]
    records = [
        r
        for r in await topic_records(infra, topics.refdata_topic("providers"))
        if headers_of(r)["ce_id"] == f"refdata/providers/{version}"
    ]
    assert len(records) == 1
    assert body_of(records[0])["items"] == items
    assert body_of(records[0])["loaded_by"].startswith("operator:")
