"""The console's pages and forms over the real routes, store and service layer (in memory):
who may come in, who may act, the CSRF check, the confirmation step, refusals that change
nothing, and every action recorded under the operator's identity."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import httpx
import pytest
from console_world import browser, console_app, csrf_of, signed_in
from notice_world import NoticeWorld, notice_world
from notification.letter_sender import wall_clock


@pytest.fixture
async def world() -> NoticeWorld:
    return await notice_world(count=2)


def operator(world: NoticeWorld) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return signed_in(console_app(world), world.tokens.issue("operator"))


async def test_a_page_without_a_session_sends_the_browser_to_sign_in(world: NoticeWorld) -> None:
    async with browser(console_app(world)) as client:
        answer = await client.get("/console/queue?status=needs_review")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fqueue%3Fstatus%3Dneeds_review"


async def test_the_session_cookie_is_httponly_strict_and_lasts_as_long_as_the_token(
    world: NoticeWorld,
) -> None:
    token = world.tokens.issue("operator", ttl=timedelta(hours=2))
    app = console_app(world)
    async with browser(app) as client:
        form = await client.get("/console/sign-in")
        nonce = form.text.split('name="nonce" value="')[1].split('"')[0]
        answer = await client.post("/console/sign-in", data={"token": token, "nonce": nonce})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/console" in cookie
    assert "secure" not in cookie  # plain http here; over TLS it is Secure
    assert "expires=" in cookie


async def test_pages_are_not_cached_framed_or_referred_on(world: NoticeWorld) -> None:
    async with browser(console_app(world)) as client:
        sign_in = await client.get("/console/sign-in", params={"token": "abc"})
    assert sign_in.headers["cache-control"] == "no-store"
    assert sign_in.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in sign_in.headers["content-security-policy"]
    assert sign_in.headers["referrer-policy"] == "no-referrer"


async def test_a_token_in_the_sign_in_address_is_filled_in_in_local_mode_only(world: NoticeWorld) -> None:
    token = world.tokens.issue("operator")
    async with browser(console_app(world)) as local:
        filled = await local.get("/console/sign-in", params={"token": token})
    async with browser(console_app(world, local_mode=False)) as deployed:
        ignored = await deployed.get("/console/sign-in", params={"token": token})
        no_shortcut = await deployed.post("/console/sign-in/local", data={"role": "operator"})
    assert token in filled.text
    assert "/console/sign-in/local" in filled.text
    assert token not in ignored.text
    assert "/console/sign-in/local" not in ignored.text
    assert no_shortcut.status_code == 404
    assert "vouchers_console" not in deployed.cookies


async def test_a_submitter_token_is_refused_with_a_403_page(world: NoticeWorld) -> None:
    app = console_app(world)
    async with browser(app) as client:
        form = await client.get("/console/sign-in")
        nonce = form.text.split('name="nonce" value="')[1].split('"')[0]
        answer = await client.post(
            "/console/sign-in",
            data={"token": world.tokens.issue("submitter", "91440300MA5G0ABCD5"), "nonce": nonce},
        )
    assert answer.status_code == 403
    assert "申报单位的令牌不能进入" in answer.text
    assert "set-cookie" not in answer.headers or "vouchers_console=" not in answer.headers["set-cookie"]


async def test_a_sign_in_without_the_forms_nonce_is_refused(world: NoticeWorld) -> None:
    async with browser(console_app(world)) as client:
        answer = await client.post(
            "/console/sign-in", data={"token": world.tokens.issue("operator"), "nonce": "guessed"}
        )
    assert answer.status_code == 403


async def test_the_queue_lists_the_cases_with_their_working_days(world: NoticeWorld) -> None:
    async with operator(world) as client:
        page = await client.get("/console/queue")
    assert page.status_code == 200
    for application_id in world.application_ids:
        assert f'href="/console/cases/{application_id}"' in page.text
    assert "社会公示中" in page.text


async def test_the_english_switch_keeps_the_member_on_the_same_page(world: NoticeWorld) -> None:
    async with operator(world) as client:
        switched = await client.get("/console/lang/en", params={"next": "/console/queue"})
        page = await client.get("/console/queue")
        elsewhere = await client.get("/console/lang/zh", params={"next": "https://example.org/"})
    assert switched.headers["location"] == "/console/queue"
    assert '<html lang="en">' in page.text
    assert "In public notice" in page.text
    assert elsewhere.headers["location"] == "/console/queue"  # never to another site


async def test_an_objection_recorded_and_dismissed_goes_through_a_confirmation_each_time(
    world: NoticeWorld,
) -> None:
    application_id = world.application_ids[0]
    async with operator(world) as client:
        page = await client.get(f"/console/cases/{application_id}")
        csrf = csrf_of(page.text)
        fields = {"csrf": csrf, "reason": "合同金额存疑", "contact": "caller@example.org"}
        asked = await client.post(f"/console/cases/{application_id}/objections", data=fields)
        assert asked.status_code == 200
        assert "请确认" in asked.text
        assert (await world.case(application_id)).case.status == "in_public_notice"
        recorded = await client.post(
            f"/console/cases/{application_id}/objections", data={**fields, "confirmed": "yes"}
        )
        assert recorded.status_code == 303
        stored = await world.case(application_id)
        assert stored.case.status == "objection_raised"
        (objection_id,) = stored.case.open_objections
        objection = await world.deps.store.objection(objection_id)
        assert objection is not None
        who = world.tokens.verify(client.cookies["vouchers_console"]).subject
        assert objection["recorded_by"] == who
        dismissed = await client.post(
            f"/console/objections/{objection_id}/resolve",
            data={"csrf": csrf, "decision": "dismissed", "note": "经核实不成立", "confirmed": "yes"},
        )
        assert dismissed.status_code == 303
        case_page = await client.get(f"/console/cases/{application_id}")
    stored = await world.case(application_id)
    assert stored.case.status == "in_public_notice"
    assert stored.case.timeline[-1].by == who
    assert "代为登记异议" in case_page.text
    assert "经核实不成立" in case_page.text


@pytest.mark.parametrize("csrf", [None, "", "0" * 64])
async def test_a_form_without_the_sessions_csrf_token_changes_nothing(
    world: NoticeWorld, csrf: str | None
) -> None:
    application_id = world.application_ids[0]
    fields = {"reason": "合同金额存疑", "contact": "caller@example.org", "confirmed": "yes"}
    async with operator(world) as client:
        answer = await client.post(
            f"/console/cases/{application_id}/objections",
            data=fields if csrf is None else {**fields, "csrf": csrf},
        )
    assert answer.status_code == 403
    assert "表单已失效" in answer.text
    assert (await world.case(application_id)).case.status == "in_public_notice"


async def test_another_sessions_csrf_token_is_no_good(world: NoticeWorld) -> None:
    app = console_app(world)
    application_id = world.application_ids[0]
    async with signed_in(app, world.tokens.issue("operator")) as first:
        theirs = csrf_of((await first.get("/console/queue")).text)
    async with signed_in(app, world.tokens.issue("operator")) as second:
        answer = await second.post(
            f"/console/cases/{application_id}/objections",
            data={
                "csrf": theirs,
                "reason": "合同金额存疑",
                "contact": "caller@example.org",
                "confirmed": "yes",
            },
        )
    assert answer.status_code == 403
    assert (await world.case(application_id)).case.status == "in_public_notice"


async def test_an_auditor_reads_the_case_but_is_offered_no_action_and_refused_one(world: NoticeWorld) -> None:
    application_id = world.application_ids[0]
    async with signed_in(console_app(world), world.tokens.issue("auditor")) as client:
        page = await client.get(f"/console/cases/{application_id}")
        queue = await client.get("/console/queue")
        answer = await client.post(
            f"/console/cases/{application_id}/objections",
            data={
                "csrf": csrf_of(page.text),
                "reason": "合同金额存疑",
                "contact": "caller@example.org",
                "confirmed": "yes",
            },
        )
    assert page.status_code == 200
    assert "objection-form" not in page.text
    assert "/console/notices" not in queue.text
    assert "您以审计人员身份查阅" in page.text
    assert answer.status_code == 403
    assert (await world.case(application_id)).case.status == "in_public_notice"


async def test_an_action_the_state_does_not_allow_is_refused_and_changes_nothing(world: NoticeWorld) -> None:
    application_id = world.application_ids[0]
    async with operator(world) as client:
        csrf = csrf_of((await client.get(f"/console/cases/{application_id}")).text)
        answer = await client.post(
            f"/console/cases/{application_id}/review",
            data={"csrf": csrf, "decision": "pass", "note": "通过", "confirmed": "yes"},
        )
    assert answer.status_code == 409
    assert "不允许此操作" in answer.text
    stored = await world.case(application_id)
    assert stored.case.status == "in_public_notice"
    assert stored.case.review_pass is None


async def test_a_failed_letter_is_made_due_now_on_request_and_the_request_recorded(
    world: NoticeWorld,
) -> None:
    application_id = world.application_ids[0]
    later = wall_clock() + timedelta(minutes=30)
    letter = {
        "_id": "L-1",
        "application_id": application_id,
        "kind": "approval",
        "sent": False,
        "attempts": [{"at": wall_clock(), "channel": "smtp", "outcome": "failed", "error": "refused"}],
        "channels_done": [],
        "next_attempt_at": later,
        "claim": None,
    }
    await world.deps.store.letters.insert_one(letter)
    await world.deps.store.letters_due.insert_one({"_id": "L-1", "next_attempt_at": later})
    async with operator(world) as client:
        csrf = csrf_of((await client.get(f"/console/cases/{application_id}")).text)
        answer = await client.post("/console/letters/L-1/send-again", data={"csrf": csrf, "confirmed": "yes"})
    assert answer.status_code == 303
    due = await world.deps.store.due_letters(wall_clock() + timedelta(seconds=1))
    assert [d["_id"] for d in due] == ["L-1"]
    stored = await world.deps.store.letters.find_one({"_id": "L-1"})
    assert stored is not None
    assert [asked["by"] for asked in stored["sent_again"]] == [
        world.tokens.verify(client.cookies["vouchers_console"]).subject
    ]


async def test_a_letter_already_sent_is_not_sent_again(world: NoticeWorld) -> None:
    application_id = world.application_ids[0]
    sent_at = wall_clock()
    await world.deps.store.letters.insert_one(
        {
            "_id": "L-2",
            "application_id": application_id,
            "kind": "approval",
            "sent": True,
            "sent_at": sent_at,
            "attempts": [
                {"at": sent_at, "channel": "smtp", "outcome": "failed", "error": "refused"},
                {"at": sent_at, "channel": "smtp", "outcome": "sent"},
            ],
            "channels_done": ["smtp"],
            "next_attempt_at": sent_at,
            "claim": None,
        }
    )
    async with operator(world) as client:
        page = await client.get(f"/console/cases/{application_id}")
        answer = await client.post(
            "/console/letters/L-2/send-again", data={"csrf": csrf_of(page.text), "confirmed": "yes"}
        )
    assert "/console/letters/L-2/send-again" not in page.text  # not offered
    assert answer.status_code == 409
    stored = await world.deps.store.letters.find_one({"_id": "L-2"})
    assert stored is not None
    assert "sent_again" not in stored
    assert await world.deps.store.letters_due.find_one({"_id": "L-2"}) is None


async def test_a_dead_letter_replay_names_a_known_topic_and_a_position_and_is_confirmed_first(
    world: NoticeWorld,
) -> None:
    async with operator(world) as client:
        csrf = csrf_of((await client.get("/console/queue")).text)
        unknown = await client.post(
            "/console/dead-letters/replay",
            data={"csrf": csrf, "topic": "vouchers.secret.v1", "at": "0:1", "confirmed": "yes"},
        )
        malformed = await client.post(
            "/console/dead-letters/replay",
            data={"csrf": csrf, "topic": "vouchers.applications.v1", "at": "zero", "confirmed": "yes"},
        )
        asked = await client.post(
            "/console/dead-letters/replay",
            data={"csrf": csrf, "topic": "vouchers.applications.v1", "at": "3:17"},
        )
    assert unknown.status_code == malformed.status_code == 422
    assert asked.status_code == 200
    assert "请确认" in asked.text
    assert 'name="at" value="3:17"' in asked.text
