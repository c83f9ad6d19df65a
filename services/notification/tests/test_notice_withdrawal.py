"""A notice lists only the applications still in it: one rejected on an upheld objection is
withdrawn from the page, its JSON and the index, and takes no more objections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from notice_world import NoticeWorld, notice_world
from notification.domain.notice_page import lists, notice_view, render_notice_page, render_notices_index

DURING = date(2026, 6, 2)  # the objection form is on the page, listing what is still in the notice


def stored_notice(withdrawn: list[str] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": "GS20260601-ABC123",
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-05",
        "working_days": 5,
        "entries": [
            {
                "application_id": f"APP-{n}",
                "applicant_name": f"第{n}号公司",
                "project_title": f"项目{n}",
                "voucher_cny": "600000.00",
            }
            for n in (1, 2, 3)
        ],
    }
    if withdrawn is not None:
        doc["withdrawn"] = withdrawn
    return doc


def test_a_withdrawn_application_is_left_out_of_the_view_and_counted() -> None:
    view = notice_view(stored_notice(withdrawn=["APP-2"]))
    assert [e.application_id for e in view.entries] == ["APP-1", "APP-3"]
    assert view.withdrawn == 1
    assert view.total_cny == Decimal("1200000.00")
    assert view.starts_on == date(2026, 6, 1)


def test_a_notice_stored_before_withdrawals_existed_lists_everything() -> None:
    view = notice_view(stored_notice())
    assert len(view.entries) == 3
    assert view.withdrawn == 0
    assert "撤销" not in render_notice_page(view, today=DURING)


def test_the_page_and_the_index_show_only_what_is_still_in_the_notice() -> None:
    view = notice_view(stored_notice(withdrawn=["APP-2"]))
    page = render_notice_page(view, today=DURING)
    assert "第2号公司" not in page
    assert "APP-2" not in page
    assert "第1号公司" in page
    assert "共2项" in page
    assert "另有1项申请因公示期间的异议经核实成立，已撤销，不再列出" in page
    assert "<td>2</td>" in render_notices_index([view])


def test_only_an_application_still_listed_is_in_the_notice() -> None:
    doc = stored_notice(withdrawn=["APP-2"])
    assert lists(doc, "APP-1")
    assert not lists(doc, "APP-2")
    assert not lists(doc, "APP-9")


async def _uphold(world: NoticeWorld, operator: httpx.AsyncClient, objection_id: str) -> httpx.Response:
    return await operator.post(
        f"/v1/objections/{objection_id}/resolve", json={"upheld": True, "note": "经核实存在关联关系"}
    )


async def test_after_an_upheld_objection_the_public_notice_no_longer_lists_the_application() -> None:
    world = await notice_world(2)
    rejected, kept = world.application_ids
    app = world.app()
    async with world.client(app) as public, world.client(app, "operator") as operator:
        filed = await public.post(
            f"/v1/notices/{world.notice_id}/objections",
            json={"application_id": rejected, "reason": "存在关联关系", "contact": "objector@example.org"},
        )
        upheld = await _uphold(world, operator, filed.json()["objection_id"])
        feed = (await public.get(f"/notices/{world.notice_id}", params={"format": "json"})).json()
        page = (await public.get(f"/notices/{world.notice_id}")).text
        index = (await public.get("/notices", params={"format": "json"})).json()
        late = await public.post(
            f"/v1/notices/{world.notice_id}/objections",
            json={"application_id": rejected, "reason": "另一理由", "contact": "other@example.org"},
        )
    assert upheld.json() == {"application_id": rejected, "status": "rejected"}
    assert [e["application_id"] for e in feed["entries"]] == [kept]
    assert feed["withdrawn"] == 1
    assert rejected not in page
    assert "深圳市第1号智算科技有限公司" not in page
    assert "深圳市第2号智算科技有限公司" in page
    assert "已撤销" in page
    assert [len(n["entries"]) for n in index["items"]] == [1]
    assert late.status_code == 404


async def test_upholding_again_after_a_failure_half_way_finishes_the_withdrawal_without_deciding_twice() -> (
    None
):
    world = await notice_world(1)
    (app_id,) = world.application_ids
    app = world.app()
    async with world.client(app) as public, world.client(app, "operator") as operator:
        filed = await public.post(
            f"/v1/notices/{world.notice_id}/objections",
            json={"application_id": app_id, "reason": "存在关联关系", "contact": "o@example.org"},
        )
        objection_id = filed.json()["objection_id"]
        await _uphold(world, operator, objection_id)
        notices = world.mongo["vouchers_notification"]["notices"]
        notices.docs[world.notice_id].pop("withdrawn")  # as if the process died before the withdrawal
        published = len(world.publisher.published)
        timeline = len((await world.case(app_id)).case.timeline)
        again = await _uphold(world, operator, objection_id)
        feed = (await public.get(f"/notices/{world.notice_id}", params={"format": "json"})).json()
    assert again.json() == {"application_id": app_id, "status": "rejected"}
    assert feed["entries"] == []
    assert len(world.publisher.published) == published
    assert len((await world.case(app_id)).case.timeline) == timeline
