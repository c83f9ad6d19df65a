"""Objections from the public: each a document of its own, the case holding only a bounded list
of their ids; limited per client address and per contact; the same objection again is the first
one; past the cap per application refused; dismissed in bulk by operators, each on the timeline."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from notice_world import NoticeWorld, notice_world

OBJECTION = {"reason": "合同金额与实际采购不符", "contact": "objector@example.org"}


async def object_to(
    world: NoticeWorld, client: httpx.AsyncClient, application_id: str, **fields: str
) -> httpx.Response:
    return await client.post(
        f"/v1/notices/{world.notice_id}/objections",
        json={"application_id": application_id, **OBJECTION, **fields},
    )


def objection_docs(world: NoticeWorld) -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = world.mongo["vouchers_notification"]["objections"].docs
    return docs


def case_doc_size(world: NoticeWorld) -> int:
    return world.mongo["vouchers_notification"]["cases"].largest


async def test_the_case_keeps_ids_only_and_stops_growing_at_the_cap_whatever_is_filed() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    async with world.client(world.app(most_open=5)) as public:
        answers = [
            await object_to(
                world, public, app_id, reason=f"理由{n}：" + "款" * 1990, contact=f"objector{n}@example.org"
            )
            for n in range(5)
        ]
        size_at_cap = case_doc_size(world)
        refused = [
            await object_to(world, public, app_id, reason=f"又一理由{n}", contact=f"o{n}@example.org")
            for n in range(40)
        ]
    assert [a.status_code for a in answers] == [201] * 5
    assert {r.status_code for r in refused} == {409}
    assert refused[0].json()["code"] == "OBJECTION_LIMIT_REACHED"
    assert refused[0].headers["content-type"] == "application/problem+json"
    assert "已达上限" in refused[0].json()["detail"]
    assert case_doc_size(world) == size_at_cap  # nothing past the cap reached the case
    stored = await world.case(app_id)
    assert list(stored.case.open_objections) == [a.json()["objection_id"] for a in answers]
    assert "款" not in str(stored.case.model_dump()) + str(stored.outbox)  # the text lives apart
    docs = objection_docs(world)
    assert set(docs) == set(stored.case.open_objections)
    assert all(len(d["reason"]) > 1990 and d["resolved"] is None for d in docs.values())


async def test_an_objection_the_case_refuses_leaves_no_document_behind() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    async with world.client(world.app(most_open=1)) as public:
        assert (await object_to(world, public, app_id)).status_code == 201
        assert (await object_to(world, public, app_id, contact="other@example.org")).status_code == 409
    assert len(objection_docs(world)) == 1


async def test_a_client_address_past_its_rate_gets_429_with_retry_after_and_others_go_on() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    app = world.app(per_client=3)
    async with world.client(app, ip="203.0.113.5") as busy, world.client(app, ip="203.0.113.6") as other:
        answers = [await object_to(world, busy, app_id, contact=f"c{n}@example.org") for n in range(4)]
        elsewhere = await object_to(world, other, app_id, contact="c9@example.org")
        world.seconds.now += 20  # a minute's worth is 3: one comes back every 20 s
        again = await object_to(world, busy, app_id, contact="c10@example.org")
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert answers[-1].headers["Retry-After"] == "20"
    assert answers[-1].json()["code"] == "RATE_LIMITED"
    assert "客户端地址" in answers[-1].json()["detail"]
    assert elsewhere.status_code == 201
    assert again.status_code == 201
    assert len(objection_docs(world)) == 5


async def test_a_contact_past_its_rate_gets_429_from_any_address_however_it_is_written() -> None:
    world = await notice_world(2)
    first, second = world.application_ids
    app = world.app(per_contact=2)
    spellings = ["objector@example.org", " Objector@EXAMPLE.org ", "ＯＢＪＥＣＴＯＲ@example.org"]
    answers = []
    for n, (contact, application_id) in enumerate(zip(spellings, (first, second, first), strict=True)):
        async with world.client(app, ip=f"203.0.113.{n + 1}") as public:
            answers.append(await object_to(world, public, application_id, contact=contact, reason=f"理由{n}"))
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert "联系方式" in answers[-1].json()["detail"]


async def test_the_same_objection_again_is_answered_with_the_first_and_nothing_new() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    async with world.client(world.app()) as public:
        first = await object_to(world, public, app_id)
        events = len(world.publisher.published)
        again = await object_to(
            world, public, app_id, reason="  合同金额与实际采购不符 ", contact="OBJECTOR@example.org"
        )
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == {"objection_id": first.json()["objection_id"], "status": "already_filed"}
    assert len(objection_docs(world)) == 1
    assert len(world.publisher.published) == events
    assert (await world.case(app_id)).case.open_objections == (first.json()["objection_id"],)


async def test_an_objection_filed_again_after_its_dismissal_is_still_the_first_one() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    app = world.app()
    async with world.client(app) as public, world.client(app, "operator") as operator:
        first = (await object_to(world, public, app_id)).json()["objection_id"]
        dismissed = await operator.post(
            f"/v1/objections/{first}/resolve", json={"upheld": False, "note": "不成立"}
        )
        again = await object_to(world, public, app_id)
    assert dismissed.json()["status"] == "in_public_notice"
    assert (again.status_code, again.json()["objection_id"]) == (200, first)
    assert (await world.case(app_id)).case.status == "in_public_notice"


async def test_the_same_reason_from_another_contact_or_on_another_application_is_new() -> None:
    world = await notice_world(2)
    first, second = world.application_ids
    async with world.client(world.app()) as public:
        ids = {
            (await object_to(world, public, a, contact=c)).json()["objection_id"]
            for a, c in ((first, "a@example.org"), (first, "b@example.org"), (second, "a@example.org"))
        }
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reason", "理" * 2001),
        ("contact", "c" * 201),
        ("reason", "   "),
        ("contact", "objector\u200b@example.org"),
        ("reason", "理由\x00"),
    ],
)
async def test_reason_and_contact_are_limited_in_length_and_characters(field: str, value: str) -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    async with world.client(world.app()) as public:
        response = await object_to(world, public, app_id, **{field: value})
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert objection_docs(world) == {}


async def test_a_body_over_the_limit_is_a_413_and_nothing_is_filed() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    async with world.client(world.app(body_limit=4096)) as public:
        response = await object_to(world, public, app_id, reason="理" * 1500)  # 4.5 kB in UTF-8
    assert response.status_code == 413
    assert response.json()["code"] == "BODY_TOO_LARGE"
    assert objection_docs(world) == {}


async def test_operators_dismiss_named_objections_of_several_applications_each_on_its_timeline() -> None:
    world = await notice_world(2)
    first, second = world.application_ids
    app = world.app()
    async with world.client(app) as public, world.client(app, "operator") as operator:
        ids = {
            a: [
                (await object_to(world, public, a, contact=f"c{n}@example.org")).json()["objection_id"]
                for n in range(3)
            ]
            for a in (first, second)
        }
        chosen = [*ids[first], ids[second][0]]
        response = await operator.post(
            "/v1/objections/dismiss", json={"objection_ids": chosen, "note": "经核实均不成立"}
        )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "dismissed": [
            {"application_id": first, "status": "in_public_notice", "objection_ids": ids[first]},
            {"application_id": second, "status": "objection_raised", "objection_ids": [ids[second][0]]},
        ]
    }
    step = (await world.case(first)).case.timeline[-1]
    assert (step.status, step.note) == ("in_public_notice", "经核实均不成立")
    assert step.reasons == tuple(f"异议 {o} 不成立" for o in ids[first])
    assert (await world.case(second)).case.open_objections == tuple(ids[second][1:])
    docs = objection_docs(world)
    assert all(docs[o]["resolved"]["upheld"] is False for o in chosen)
    assert all(docs[o]["resolved"] is None for o in ids[second][1:])
    resolved = [e for e in world.publisher.published if e.envelope.type.endswith("objection.resolved")]
    assert sorted(e.envelope.id for e in resolved) == sorted(f"{o}/resolved" for o in chosen)


async def test_operators_dismiss_every_open_objection_of_one_application() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    app = world.app()
    async with world.client(app) as public, world.client(app, "operator") as operator:
        for n in range(4):
            await object_to(world, public, app_id, contact=f"c{n}@example.org")
        response = await operator.post(
            "/v1/objections/dismiss", json={"application_id": app_id, "note": "批量驳回"}
        )
        nothing_left = await operator.post(
            "/v1/objections/dismiss", json={"application_id": app_id, "note": "批量驳回"}
        )
    (done,) = response.json()["dismissed"]
    assert (done["status"], len(done["objection_ids"])) == ("in_public_notice", 4)
    assert (await world.case(app_id)).case.open_objections == ()
    assert nothing_left.status_code == 409


async def test_a_bulk_dismissal_naming_one_objection_not_open_dismisses_none() -> None:
    world = await notice_world(1)
    (app_id,) = world.application_ids
    app = world.app()
    async with world.client(app) as public, world.client(app, "operator") as operator:
        kept = (await object_to(world, public, app_id)).json()["objection_id"]
        done = (await object_to(world, public, app_id, contact="x@example.org")).json()["objection_id"]
        await operator.post(f"/v1/objections/{done}/resolve", json={"upheld": False, "note": "不成立"})
        refused = await operator.post(
            "/v1/objections/dismiss", json={"objection_ids": [kept, done], "note": "再次驳回"}
        )
        unknown = await operator.post(
            "/v1/objections/dismiss", json={"objection_ids": [kept, "OBJ-0000000000000000"], "note": "x"}
        )
    assert refused.status_code == 409
    assert refused.json()["code"] == "OBJECTION_NOT_OPEN"
    assert done in refused.json()["detail"]
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "NOT_FOUND"
    assert (await world.case(app_id)).case.open_objections == (kept,)


@pytest.mark.parametrize(
    "body",
    [
        {"note": "x"},
        {"objection_ids": ["OBJ-1"], "application_id": "APP-2026-0001", "note": "x"},
        {"objection_ids": [], "note": "x"},
        {"application_id": "APP-2026-0001"},
    ],
)
async def test_a_bulk_dismissal_names_either_objections_or_one_application(body: dict[str, Any]) -> None:
    world = await notice_world(1)
    async with world.client(world.app(), "operator") as operator:
        assert (await operator.post("/v1/objections/dismiss", json=body)).status_code == 422


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("auditor", 403), ("submitter", 403)])
async def test_only_operators_dismiss(role: str | None, status: int) -> None:
    world = await notice_world(1)
    async with world.client(world.app(), role) as client:
        response = await client.post(
            "/v1/objections/dismiss", json={"application_id": world.application_ids[0], "note": "x"}
        )
    assert response.status_code == status
