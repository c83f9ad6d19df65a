"""Objections filed through the notice page's form (form-encoded, no script) over HTTP: the same
fields, limits, rates and de-duplication as the JSON API, answered with pages; refused with a
clear page outside the notice period or for an application the notice does not list."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from notice_world import NOTICE_OPENED, NoticeWorld, notice_world
from notification.domain.objection_form import MAX_LENGTHS

FORM = {
    "objector": "深圳市某某咨询有限公司",
    "contact": "objector@example.org",
    "reason": "合同金额与实际采购不符",
}
PERSONAL = (FORM["objector"], FORM["contact"])


async def file_form(
    world: NoticeWorld, client: httpx.AsyncClient, application_id: str, **fields: str
) -> httpx.Response:
    return await client.post(
        f"/notices/{world.notice_id}/objections",
        data={"application_id": application_id, **FORM, "website": "", **fields},
    )


async def file_json(
    world: NoticeWorld, client: httpx.AsyncClient, application_id: str, **fields: str
) -> httpx.Response:
    return await client.post(
        f"/v1/notices/{world.notice_id}/objections", json={"application_id": application_id, **FORM, **fields}
    )


def objection_docs(world: NoticeWorld) -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = world.mongo["vouchers_notification"]["objections"].docs
    return docs


def reference(page: str) -> str:
    found = re.search(r'id="objection-reference">(OBJ-[0-9A-F]{16})<', page)
    assert found is not None, page
    return found.group(1)


def heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page)
    assert found is not None
    return found.group(1)


async def test_a_form_filed_during_the_notice_answers_its_reference_and_holds_the_case() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    async with world.client(world.app()) as public:
        answer = await file_form(world, public, app_id)
        notice = await public.get(f"/notices/{world.notice_id}")
        feed = await public.get(f"/notices/{world.notice_id}", params={"format": "json"})
    assert answer.status_code == 201
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-store"
    oid = reference(answer.text)
    doc = objection_docs(world)[oid]
    assert (doc["application_id"], doc["objector"], doc["contact"], doc["reason"]) == (
        app_id,
        FORM["objector"],
        FORM["contact"],
        FORM["reason"],
    )
    stored = await world.case(app_id)
    assert stored.case.status == "objection_raised"
    assert stored.case.open_objections == (oid,)
    assert "接下来" in answer.text
    for page in (answer.text, notice.text, feed.text):  # nothing the objector entered is shown
        for personal in PERSONAL:
            assert personal not in page


async def test_the_same_objection_again_by_the_form_or_the_api_answers_the_first_reference() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    async with world.client(world.app()) as public:
        first = await file_form(world, public, app_id)
        events = len(world.publisher.published)
        again = await file_form(
            world,
            public,
            app_id,
            contact=" OBJECTOR@example.org ",
            reason="合同金额与实际采购不符 ",
            objector="另一名称",
        )
        by_api = await file_json(world, public, app_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert reference(again.text) == reference(first.text)
    assert "此前已有" in again.text
    assert by_api.json() == {"objection_id": reference(first.text), "status": "already_filed"}
    assert list(objection_docs(world)) == [reference(first.text)]
    assert objection_docs(world)[reference(first.text)]["objector"] == FORM["objector"]
    assert len(world.publisher.published) == events


async def test_the_api_needs_no_objector_and_the_form_then_finds_that_objection() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    fields = {k: v for k, v in FORM.items() if k != "objector"}
    async with world.client(world.app()) as public:
        blank = await file_json(world, public, app_id, objector=" ")  # but not blank when given
        by_api = await public.post(
            f"/v1/notices/{world.notice_id}/objections", json={"application_id": app_id, **fields}
        )
        by_form = await file_form(world, public, app_id)
    assert blank.status_code == 422
    assert by_api.status_code == 201
    assert objection_docs(world)[by_api.json()["objection_id"]]["objector"] is None
    assert (by_form.status_code, reference(by_form.text)) == (200, by_api.json()["objection_id"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reason", "理" * (MAX_LENGTHS["reason"] + 1)),
        ("contact", "c" * (MAX_LENGTHS["contact"] + 1)),
        ("objector", "名" * (MAX_LENGTHS["objector"] + 1)),
        ("reason", "   "),
        ("objector", "\u3000"),
        ("contact", "objector\u200b@example.org"),
        ("reason", "理由\x00"),
        ("objector", "某公司\u202e"),
    ],
)
async def test_the_form_refuses_what_the_api_refuses_showing_it_again_by_its_field(
    field: str, value: str
) -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    async with world.client(world.app()) as public:
        by_api = await file_json(world, public, app_id, **{field: value})
        by_form = await file_form(world, public, app_id, **{field: value})
    assert by_api.status_code == by_form.status_code == 422
    assert [e["field"] for e in by_api.json()["errors"]] == [field]
    assert f'id="objection-{field}-error"' in by_form.text
    assert by_form.text.count('class="error"') == 1
    assert 'value="深圳市某某咨询有限公司"' in by_form.text or field == "objector"
    assert objection_docs(world) == {}


@pytest.mark.parametrize("field", ["reason", "contact", "objector"])
async def test_the_form_takes_what_the_api_takes_up_to_the_last_character(field: str) -> None:
    world = await notice_world(2)
    first, second = world.application_ids
    value = "理" * MAX_LENGTHS[field]
    async with world.client(world.app()) as public:
        by_api = await file_json(world, public, first, **{field: value})
        by_form = await file_form(world, public, second, **{field: value})
    assert (by_api.status_code, by_form.status_code) == (201, 201)


async def test_the_form_and_the_api_share_the_rate_of_a_client_address() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    app = world.app(per_client=2)
    async with world.client(app, ip="203.0.113.5") as busy, world.client(app, ip="203.0.113.6") as other:
        answers = [
            await file_json(world, busy, app_id, contact="c1@example.org"),
            await file_form(world, busy, app_id, contact="c2@example.org"),
            await file_form(world, busy, app_id, contact="c3@example.org", reason="又一理由"),
        ]
        elsewhere = await file_form(world, other, app_id, contact="c4@example.org")
        world.seconds.now += 30  # a minute's worth is 2: one comes back every 30 s
        again = await file_form(world, busy, app_id, contact="c3@example.org", reason="又一理由")
    assert [a.status_code for a in answers] == [201, 201, 429]
    refused = answers[-1]
    assert refused.headers["Retry-After"] == "30"
    assert "请在 30 秒后再提交" in refused.text
    assert "同一网络地址每分钟至多提交 2 条异议" in refused.text
    assert 'value="c3@example.org"' in refused.text
    assert "又一理由</textarea>" in refused.text
    assert refused.text.count("<form") == 1
    assert elsewhere.status_code == 201
    assert again.status_code == 201
    assert len(objection_docs(world)) == 4


async def test_a_contact_past_its_rate_is_refused_from_any_address_however_it_is_written() -> None:
    world = await notice_world(2)
    first, second = world.application_ids
    app = world.app(per_contact=1)
    async with world.client(app, ip="203.0.113.1") as one, world.client(app, ip="203.0.113.2") as two:
        filed = await file_form(world, one, first)
        refused = await file_form(world, two, second, contact="ＯＢＪＥＣＴＯＲ@Example.org")
    assert (filed.status_code, refused.status_code) == (201, 429)
    assert int(refused.headers["Retry-After"]) == 60
    assert "同一联系方式" in refused.text
    assert len(objection_docs(world)) == 1


async def test_a_form_with_its_hidden_field_filled_in_is_refused_and_nothing_filed() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    async with world.client(world.app()) as public:
        answer = await file_form(world, public, app_id, website="https://spam.example")
    assert answer.status_code == 400
    assert "请勿填写" in answer.text
    assert objection_docs(world) == {}
    assert (await world.case(app_id)).case.status == "in_public_notice"


@pytest.mark.parametrize(
    ("at", "title"),
    [
        (NOTICE_OPENED - timedelta(days=3), "公示尚未开始"),  # Friday before the Monday it starts
        (datetime(2026, 6, 8, 9, 0, tzinfo=NOTICE_OPENED.tzinfo), "公示期已结束"),  # it ended on Friday
    ],
)
async def test_outside_the_period_the_page_offers_no_form_and_a_filed_one_is_refused(
    at: datetime, title: str
) -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    world.clock.at = at
    async with world.client(world.app()) as public:
        page = await public.get(f"/notices/{world.notice_id}")
        answer = await file_form(world, public, app_id)
    assert page.status_code == 200
    assert "<form" not in page.text
    assert (answer.status_code, heading(answer.text)) == (409, title)
    assert f'href="/notices/{world.notice_id}"' in answer.text
    assert objection_docs(world) == {}


async def test_an_application_the_notice_does_not_list_is_refused_with_a_page() -> None:
    world = await notice_world(1)
    async with world.client(world.app()) as public:
        answer = await file_form(world, public, "APP-2026-9999")
        unknown = await public.post(
            "/notices/GS20260101-NOSUCH/objections", data={"application_id": "APP-2026-0001", **FORM}
        )
    assert (answer.status_code, heading(answer.text)) == (404, "该申请不在本批次公示名单中")
    assert (unknown.status_code, heading(unknown.text)) == (404, "没有这个公示批次")
    assert objection_docs(world) == {}


async def test_an_application_withdrawn_on_an_upheld_objection_takes_no_more_and_leaves_the_form() -> None:
    world = await notice_world(2)
    rejected, kept = world.application_ids
    app = world.app()
    async with world.client(app) as public, world.client(app, "operator") as operator:
        oid = reference((await file_form(world, public, rejected)).text)
        upheld = await operator.post(f"/v1/objections/{oid}/resolve", json={"upheld": True, "note": "成立"})
        late = await file_form(world, public, rejected, contact="other@example.org")
        page = await public.get(f"/notices/{world.notice_id}", params={"application_id": rejected})
    assert upheld.status_code == 200
    assert (late.status_code, heading(late.text)) == (409, "该申请已撤销")
    assert rejected not in page.text
    assert f'<option value="{kept}">' in page.text
    assert list(objection_docs(world)) == [oid]


async def test_an_application_at_its_cap_of_open_objections_is_refused_with_a_page() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    async with world.client(world.app(most_open=1)) as public:
        await file_form(world, public, app_id)
        answer = await file_form(world, public, app_id, contact="other@example.org")
    assert (answer.status_code, heading(answer.text)) == (409, "该申请的待处理异议已达上限")
    assert len(objection_docs(world)) == 1


async def test_a_body_that_is_not_this_page_s_form_is_refused_with_a_page() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    async with world.client(world.app()) as public:
        as_json = await public.post(
            f"/notices/{world.notice_id}/objections", json={"application_id": app_id, **FORM}
        )
        garbled = await public.post(
            f"/notices/{world.notice_id}/objections",
            content=b"reason=%FF",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert as_json.status_code == 415
    assert garbled.status_code == 400
    assert objection_docs(world) == {}


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_form_over_the_body_limit_is_a_413_page_and_the_api_keeps_its_json(streamed: bool) -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    big = ("application_id=" + app_id + "&reason=" + "%E7%90%86" * 1000).encode()  # 9 kB

    async def chunks() -> Any:
        for start in range(0, len(big), 1024):
            yield big[start : start + 1024]

    async with world.client(world.app(body_limit=4096)) as public:
        page = await public.post(
            f"/notices/{world.notice_id}/objections",
            content=chunks() if streamed else big,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        api = await file_json(world, public, app_id, reason="理" * 1500)
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert heading(page.text) == "提交的内容过多"
    assert f'href="/notices/{world.notice_id}"' in page.text
    assert api.status_code == 413
    assert api.json()["code"] == "BODY_TOO_LARGE"
    assert objection_docs(world) == {}


async def test_a_row_link_opens_the_form_with_its_application_chosen() -> None:
    world = await notice_world(2)
    first, second = world.application_ids
    async with world.client(world.app()) as public:
        page = await public.get(f"/notices/{world.notice_id}", params={"application_id": second})
        back = await public.get(f"/notices/{world.notice_id}/objections")
    assert f'<option value="{second}" selected>' in page.text
    assert f'<option value="{first}">' in page.text
    assert back.status_code == 303
    assert back.headers["location"] == f"/notices/{world.notice_id}#objection-form"
