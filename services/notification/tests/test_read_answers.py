"""Operators' and the public's reads answer everything the service holds, in the shapes the OpenAPI
document gives: cases, one case with its timeline, the notices as JSON."""

from __future__ import annotations

from typing import Any

from fastapi.encoders import jsonable_encoder
from notice_world import notice_world
from notification import operations
from notification.responses import CaseDetail, CaseList, NoticeIndex


async def test_cases_and_a_case_read_with_everything_operations_give() -> None:
    world = await notice_world(2)
    first, _ = world.application_ids
    app = world.app()
    async with world.client(app) as public, world.client(app, "auditor") as auditor:
        await public.post(
            f"/v1/notices/{world.notice_id}/objections",
            json={"application_id": first, "reason": "不符", "contact": "a@example.org"},
        )
        listed = await auditor.get("/v1/cases")
        one = await auditor.get(f"/v1/cases/{first}")
    expected: dict[str, Any] = jsonable_encoder(await operations.case_detail(world.deps, first))
    assert one.status_code == 200, one.text
    assert one.json() == expected
    assert [step["status"] for step in one.json()["timeline"]][-1] == "objection_raised"
    CaseDetail.model_validate(one.json())
    items = jsonable_encoder(await operations.cases(world.deps, overdue=None, status=None, limit=200))
    assert listed.json() == {"items": items, "today": world.clock.today().isoformat()}
    CaseList.model_validate(listed.json())


async def test_the_notices_read_as_json_the_same_as_the_page_shows() -> None:
    world = await notice_world(2)
    async with world.client(world.app()) as public:
        index = await public.get("/notices", params={"format": "json"})
        one = await public.get(f"/notices/{world.notice_id}", params={"format": "json"})
        page = await public.get(f"/notices/{world.notice_id}")
    assert index.headers["content-type"] == "application/json"
    assert NoticeIndex.model_validate(index.json()).items[0].model_dump(mode="json") == one.json()
    assert [e["application_id"] for e in one.json()["entries"]] == world.application_ids
    assert page.headers["content-type"].startswith("text/html")
