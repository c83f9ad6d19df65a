"""From verdicts to approved vouchers over real Kafka and the store (issue 7).

The session suite is driven through the guide's procedure (九): the approvable worked examples,
filed by applicants of this module, reach `awaiting_notice`; an operator settles the cases held
for review and opens a public-notice batch; objections are upheld or dismissed; the suite is
restarted on a program clock past the notice period and the remaining applications are
approved, with `voucher.approved` published and approval letters delivered. Along the way: a
check that never answers sends its case to review, letters survive a mail server that is
down, the webhook signs what it sends, cases past 50 working days are listed for operators,
and a notice period running into a year the holiday calendar does not know is refused.

The services are restarted with other settings in place (same ports, same mail sink) and put
back as they were when the module ends.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
import suitectl
from aiosmtpd.controller import Controller
from vouchers_shared import topics
from vouchers_shared.clock import SHANGHAI

from tests.support.events import records_about
from tests.support.filing import add_refdata, file, view, wait_view
from tests.support.letters import WebhookReceiver, copies_by_message_id, mails_about
from tests.support.samples import applicant_block, application_for, make_uscc
from tests.support.suite import MailSink, Suite, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(900)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BLOCK = applicant_block()
RELATED_HOLDER = "91440303MA5K000049"  # the sample holder of 25% of the related provider
SECRET = "whsec_" + base64.b64encode(b"e2e-letters-webhook-signing-key").decode()
CHECK_TIMEOUT_S = 10
YEAR_END = date(2026, 12, 30)
# Personal data in the sample applications, which no public page may show.
SAMPLE_PEOPLE = ("法人代表", "负责人", "成员甲", "成员乙", "联系人", "13800000000", "lead-approvable")

# label: (sample it copies, applicant name or None for the sample's, status once checked)
CAST: dict[str, tuple[str, str | None, str]] = {
    "approvable": ("approvable", None, "awaiting_notice"),
    "yearly-cap": ("yearly-cap", None, "awaiting_notice"),
    "young-enterprise": ("young-enterprise", None, "awaiting_notice"),
    "upheld": ("approvable", "深圳市异议成立测试科技有限公司", "awaiting_notice"),
    "dismissed": ("approvable", "深圳市异议不成立测试科技有限公司", "awaiting_notice"),
    "below-threshold": ("below-threshold", None, "rejected"),
    "missing-audit-consent": ("missing-audit-consent", None, "rejected"),
    "related-provider": ("related-provider", None, "rejected"),
    "review-reject": ("approvable", "深圳市复核不通过测试科技有限公司", "needs_review"),
    "silent-check": ("approvable", "深圳市核查超时测试科技有限公司", "needs_review"),
    "late": ("approvable", "深圳市公示后申报测试科技有限公司", "awaiting_notice"),
}
APPROVED = ("approvable", "yearly-cap", "young-enterprise", "dismissed", "silent-check")
# The voucher of each approved applicant, in figures and in capitals (大写), from the guide's rates.
AMOUNTS = {
    "approvable": ("¥600,000.00", "陆拾万元整"),
    "yearly-cap": ("¥10,000,000.00", "壹仟万元整"),
    "young-enterprise": ("¥1,200,000.00", "壹佰贰拾万元整"),
    "dismissed": ("¥600,000.00", "陆拾万元整"),
    "silent-check": ("¥600,000.00", "陆拾万元整"),
}


@dataclass
class World:
    suite: Suite
    usccs: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def app(self, label: str) -> dict[str, Any]:
        base, name, _ = CAST[label]
        uscc = self.usccs[label]
        app = application_for(uscc, base=base)
        if name is not None:
            app["applicant"]["name"] = name
        for material in app["materials"]:
            if material["kind"] == "audit_report":
                material["qr_code"] = qr_code(uscc)
        if label == "review-reject":  # filed from another account than the project lead's: review
            app["declarations"]["filed_by_project_lead"] = False
        return app

    def file(self, label: str) -> str:
        self.ids[label] = file(self.suite, self.app(label))
        return self.ids[label]

    def view(self, label: str) -> dict[str, Any]:
        return view(self.suite, self.ids[label])

    def wait_status(self, label: str, status: str, timeout: float = 120) -> dict[str, Any]:
        return wait_view(
            self.suite, self.ids[label], f"status {status}", lambda v: v["status"] == status, timeout
        )

    def case(self, label: str) -> dict[str, Any]:
        with self.suite.client("notification", "auditor") as client:
            response = client.get(f"/v1/cases/{self.ids[label]}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def ledger(self, label: str) -> dict[str, Any]:
        with self.suite.store() as store:
            doc = store["vouchers_eligibility"]["ledgers"].find_one({"_id": f"{self.usccs[label]}:2026"})
        return doc or {}

    def letters(self, labels: tuple[str, ...], kind: str) -> list[dict[str, Any]]:
        ids = [self.ids[label] for label in labels]
        with self.suite.store() as store:
            return list(
                store["vouchers_notification"]["letters"].find({"application_id": {"$in": ids}, "kind": kind})
            )


def qr_code(uscc: str) -> str:
    return f"CPA-2025-{uscc}"


def workdays_outside(after: date, until: date, notice: tuple[date, date] | None = None) -> int:
    """Counted here straight from chinese_calendar: working days in (after, until], notice left out."""
    days = (after + timedelta(days=n) for n in range(1, (until - after).days + 1))
    return sum(
        1
        for d in days
        if chinese_calendar.is_workday(d) and not (notice is not None and notice[0] <= d <= notice[1])
    )


def submitted_on(application_view: dict[str, Any]) -> date:
    (received,) = [step for step in application_view["timeline"] if step["event"] == "received"]
    return datetime.fromisoformat(received["at"]).astimezone(SHANGHAI).date()


def holds_for(what: str, probe: Callable[[], bool], seconds: float) -> None:
    """`probe` stays true for `seconds` (what must not happen does not happen)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert probe(), what
        time.sleep(0.25)


@pytest.fixture(scope="module")
def world(suite: Suite) -> Iterator[World]:
    usccs = {label: make_uscc(BLOCK + n) for n, label in enumerate(CAST)}
    add_refdata(
        suite,
        "audit_reports",
        [{"qr_code": qr_code(u), "uscc": u, "fiscal_year": 2025} for u in usccs.values()],
    )
    add_refdata(
        suite,
        "holdings",
        [
            {
                "holder_id": RELATED_HOLDER,
                "holder_kind": "company",
                "held_uscc": usccs["related-provider"],
                "pct": "35.00",
            }
        ],
    )
    try:
        yield World(suite, usccs)
    finally:
        suite.restore()


@pytest.fixture(scope="module")
def silent_check(world: World) -> dict[str, Any]:
    """Filed while verification is down, with a short check timeout: held for review."""
    world.suite.restart(
        {"CHECK_TIMEOUT_S": str(CHECK_TIMEOUT_S)}, on=("notification",), stopped=("verification",)
    )
    try:
        world.file("silent-check")
        held = world.wait_status("silent-check", "needs_review", timeout=90)
        return {"view": held, "case": world.case("silent-check")}
    finally:
        world.suite.restart()


@pytest.fixture(scope="module")
def decided(world: World, silent_check: dict[str, Any]) -> dict[str, dict[str, Any]]:
    labels = [label for label in CAST if label not in ("silent-check", "late")]
    for label in labels:
        world.file(label)
    return {label: world.wait_status(label, CAST[label][2]) for label in labels}


@pytest.fixture(scope="module")
def reviews(world: World, decided: dict[str, dict[str, Any]]) -> dict[str, Any]:
    token = world.suite.tokens.issue("operator")
    operator = world.suite.tokens.verify(token).subject
    answers = {}
    with world.suite.client("notification") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        for label, decision in (("silent-check", "pass"), ("review-reject", "reject")):
            response = client.post(
                f"/v1/applications/{world.ids[label]}/review",
                json={"decision": decision, "note": f"复核意见：{label}"},
            )
            answers[label] = (response.status_code, response.json())
    return {"operator": operator, "answers": answers, "at": world.suite.program_now("notification")}


@pytest.fixture(scope="module")
def notice(world: World, reviews: dict[str, Any]) -> dict[str, Any]:
    world.wait_status("silent-check", "awaiting_notice")
    with world.suite.client("notification") as client:
        response = client.post("/v1/notices")
    assert response.status_code == 201, response.text
    opened: dict[str, Any] = response.json()
    for label in ("approvable", "yearly-cap", "young-enterprise", "upheld", "dismissed", "silent-check"):
        world.wait_status(label, "in_public_notice")
    return opened


@pytest.fixture(scope="module")
def objections(world: World, notice: dict[str, Any]) -> dict[str, Any]:
    reserved = wait_for(
        "the upheld applicant's reservation on its ledger",
        lambda: world.ledger("upheld").get("reserved", {}).get(world.ids["upheld"]),
    )
    filed = {}
    with world.suite.client("notification", "auditor") as public:
        public.headers.pop("Authorization")  # the objection form is open to anyone
        for label in ("upheld", "dismissed"):
            response = public.post(
                f"/v1/notices/{notice['notice_id']}/objections",
                json={
                    "application_id": world.ids[label],
                    "reason": "合同金额存疑",
                    "contact": f"objector-{label}@example.org",
                },
            )
            assert response.status_code == 201, response.text
            filed[label] = response.json()["objection_id"]
            world.wait_status(label, "objection_raised")
    with world.suite.client("notification") as operator:
        for label, upheld in (("upheld", True), ("dismissed", False)):
            response = operator.post(
                f"/v1/objections/{filed[label]}/resolve", json={"upheld": upheld, "note": "经核实"}
            )
            assert response.status_code == 200, response.text
    return {
        "objection_ids": filed,
        "reserved_before": reserved,
        "upheld": world.wait_status("upheld", "rejected"),
        "dismissed": world.wait_status("dismissed", "in_public_notice"),
    }


@pytest.fixture(scope="module")
def late(world: World, objections: dict[str, Any]) -> dict[str, Any]:
    """Filed after the batch opened: it waits for the next notice."""
    world.file("late")
    return world.wait_status("late", "awaiting_notice")


@pytest.fixture(scope="module")
def mail_port() -> int:
    (port,) = suitectl.free_ports(1)
    return port


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret=SECRET, refuse_first=1)
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def after_period(
    world: World, notice: dict[str, Any], late: dict[str, Any], mail_port: int, receiver: WebhookReceiver
) -> date:
    """The suite restarted long after the notice ended, its mail server not answering yet.

    2026-12-30 is past the notice period, more than 50 working days after the late application
    was filed, and two working days before the year the holiday calendar does not know.
    """
    world.suite.restart(
        {
            "SMTP_PORT": str(mail_port),
            "LETTER_WEBHOOK_URL": receiver.url,
            "LETTER_WEBHOOK_SECRET": SECRET,
            "LETTER_RETRY_FIRST_S": "0.5",
            "LETTER_RETRY_MAX_S": "2",
        },
        on=("intake", "notification"),
        clock=f"{YEAR_END.isoformat()}T10:00:00+08:00",
    )
    for label in APPROVED:
        world.wait_status(label, "approved")
    return YEAR_END


@pytest.fixture(scope="module")
def delivered(world: World, after_period: date, mail_port: int) -> Iterator[MailSink]:
    """The mail server comes up once every approval letter has failed at least twice."""

    def failed_twice() -> bool:
        letters = world.letters(APPROVED, "approval")
        failures = [
            sum(a["channel"] == "smtp" and a["outcome"] == "failed" for a in d["attempts"]) for d in letters
        ]
        return len(letters) == len(APPROVED) and min(failures) >= 2

    wait_for("failed mail attempts on every approval letter", failed_twice, timeout=60)
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=mail_port)
    controller.start()
    try:
        wait_for(
            "every approval letter marked sent",
            lambda: all(d["sent"] for d in world.letters(APPROVED, "approval")),
            timeout=60,
        )
        yield sink
    finally:
        controller.stop()


# --- a check that never answers ---------------------------------------------------------


def test_a_check_that_never_answers_holds_the_case_for_review_naming_it(silent_check: dict[str, Any]) -> None:
    assert silent_check["view"]["checks"]["verification"]["outcome"] == "pending"
    (held,) = [step for step in silent_check["case"]["timeline"] if step["status"] == "needs_review"]
    assert any("verification" in reason and "材料核查" in reason for reason in held["reasons"]), held


# --- the worked examples and their letters ----------------------------------------------


def test_the_examples_filed_by_new_applicants_reach_the_status_the_guide_gives_them(
    decided: dict[str, dict[str, Any]],
) -> None:
    assert {label: v["status"] for label, v in decided.items()} == {
        label: CAST[label][2] for label in decided
    }
    assert decided["approvable"]["voucher"]["total_cny"] == "600000.00"
    assert decided["yearly-cap"]["voucher"]["total_cny"] == "10000000.00"
    assert decided["young-enterprise"]["voucher"]["total_cny"] == "1200000.00"


@pytest.mark.parametrize("label", ["below-threshold", "missing-audit-consent", "related-provider"])
def test_a_rejected_example_gets_a_letter_listing_each_failed_rule_with_its_clause(
    world: World, decided: dict[str, dict[str, Any]], label: str
) -> None:
    failed = {
        (f["rule"], f["clause"])
        for check in decided[label]["checks"].values()
        for f in check["findings"]
        if f["result"] == "fail"
    }
    assert failed
    (letter,) = wait_for(
        f"the rejection letter of {label}",
        lambda: mails_about(world.suite.mail.messages, world.ids[label]),
        timeout=60,
    )
    assert letter.to == world.app(label)["applicant"]["contact"]["email"]
    for rule, clause in failed:
        assert f"规则 {rule}（依据指南条款：{clause}）" in letter.text


# --- review -----------------------------------------------------------------------------


def test_an_operator_review_settles_needs_review_recording_who_and_when(
    world: World, reviews: dict[str, Any]
) -> None:
    assert reviews["answers"]["silent-check"] == (
        200,
        {"application_id": world.ids["silent-check"], "status": "awaiting_notice"},
    )
    assert reviews["answers"]["review-reject"][0] == 200
    world.wait_status("review-reject", "rejected")
    for label in ("silent-check", "review-reject"):
        step = world.case(label)["timeline"][-1]
        assert step["by"] == reviews["operator"]
        assert step["note"] == f"复核意见：{label}"
        assert abs(datetime.fromisoformat(step["at"]) - reviews["at"]) < timedelta(minutes=2)
    records = records_about(world.suite.infra.kafka_bootstrap, topics.DECISIONS, world.ids["review-reject"])
    decided = {r.id: r.body() for r in records if r.type == topics.CASE_DECIDED}  # at least once
    assert [d["decided_by"] for d in decided.values() if d["status"] == "rejected"] == [reviews["operator"]]


# --- the public notice ------------------------------------------------------------------


def test_a_notice_batch_takes_every_awaiting_application_for_five_working_days(
    world: World, notice: dict[str, Any]
) -> None:
    expected = {
        world.ids[label]
        for label in ("approvable", "yearly-cap", "young-enterprise", "upheld", "dismissed", "silent-check")
    }
    assert expected <= set(notice["application_ids"])
    starts, ends = date.fromisoformat(notice["starts_on"]), date.fromisoformat(notice["ends_on"])
    assert workdays_outside(starts - timedelta(days=1), ends) == 5
    assert chinese_calendar.is_workday(starts)
    assert chinese_calendar.is_workday(ends)


def test_the_public_notice_shows_organisations_and_amounts_and_no_personal_data(
    world: World, notice: dict[str, Any]
) -> None:
    with world.suite.client("notification") as client:
        client.headers.pop("Authorization")
        feed = client.get(f"/notices/{notice['notice_id']}", params={"format": "json"})
        page = client.get(f"/notices/{notice['notice_id']}")
        index = client.get("/notices")
    assert feed.status_code == page.status_code == index.status_code == 200
    entries = {e["application_id"]: e for e in feed.json()["entries"]}
    assert entries[world.ids["approvable"]]["voucher_cny"] == "600000.00"
    assert entries[world.ids["approvable"]]["applicant_name"] == world.app("approvable")["applicant"]["name"]
    assert notice["notice_id"] in index.text
    for text in (feed.text, page.text):
        assert "@" not in text
        for personal in SAMPLE_PEOPLE:
            assert personal not in text


@pytest.mark.browser
def test_the_notice_page_in_headless_chromium_shows_the_approvable_applicant_and_amount(
    world: World, notice: dict[str, Any]
) -> None:
    from playwright.sync_api import sync_playwright

    name = world.app("approvable")["applicant"]["name"]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
            response = page.goto(f"{world.suite.urls['notification']}/notices/{notice['notice_id']}")
            assert response is not None
            assert response.status == 200
            row = page.locator("tbody tr").filter(has_text=world.ids["approvable"])
            assert row.locator("th[scope=row]").inner_text() == name
            assert row.locator("td.amount").inner_text() == "¥600,000.00"
            assert page.locator("html").get_attribute("lang") == "zh-CN"
            assert "拟资助项目名单" in page.locator("table caption").inner_text()
            body = page.locator("body").inner_text()
            page.screenshot(path=str(ARTIFACTS / "notice.png"), full_page=True)
        finally:
            browser.close()
    assert "@" not in body
    assert not [p for p in SAMPLE_PEOPLE if p in body]
    assert (ARTIFACTS / "notice.png").stat().st_size > 10_000


# --- objections -------------------------------------------------------------------------


def test_an_upheld_objection_rejects_and_releases_the_ledger_reservation(
    world: World, objections: dict[str, Any]
) -> None:
    app_id = world.ids["upheld"]
    assert Decimal(str(objections["reserved_before"])) == Decimal("600000.00")
    ledger = wait_for(
        "the reservation released",
        lambda: (doc := world.ledger("upheld")) and app_id in doc.get("released", {}) and doc,
    )
    assert app_id not in ledger["reserved"]
    assert app_id not in ledger["granted"]
    assert Decimal(str(ledger["released"][app_id])) == Decimal("600000.00")
    (letter,) = wait_for(
        "the rejection letter after the objection",
        lambda: mails_about(world.suite.mail.messages, app_id),
        timeout=60,
    )
    assert objections["objection_ids"]["upheld"] in letter.text
    assert "异议" in letter.text


def test_a_dismissed_objection_returns_the_application_to_the_notice(
    world: World, objections: dict[str, Any]
) -> None:
    case = world.case("dismissed")
    assert case["status"] == "in_public_notice"
    assert case["open_objections"] == []
    assert world.ids["dismissed"] in world.ledger("dismissed")["reserved"]


def test_a_case_filed_after_the_notice_opened_is_not_yet_listed_overdue(
    world: World, late: dict[str, Any]
) -> None:
    with world.suite.client("notification", "auditor") as client:
        listed = client.get("/v1/cases", params={"overdue": 50}).json()["items"]
        everything = client.get("/v1/cases", params={"status": "awaiting_notice"}).json()["items"]
    assert world.ids["late"] not in {c["application_id"] for c in listed}
    assert world.ids["late"] in {c["application_id"] for c in everything}


# --- after the notice period ------------------------------------------------------------


def test_after_the_period_the_applications_are_approved_on_that_day_and_announced(
    world: World, after_period: date
) -> None:
    for label in APPROVED:
        assert world.view(label)["approved_on"] == after_period.isoformat()
        total = Decimal(AMOUNTS[label][0].lstrip("¥").replace(",", ""))
        approved = wait_for(f"voucher.approved for {label}", announced(world, label))
        assert [(Decimal(a["total_cny"]), a["approved_on"]) for a in approved] == [
            (total, after_period.isoformat())
        ]
        granted = wait_for(f"the grant on {label}'s ledger", granted_on_ledger(world, label))
        assert Decimal(str(granted)) == total
    assert world.view("upheld")["status"] == "rejected"
    assert world.view("late")["status"] == "awaiting_notice"


def announced(world: World, label: str) -> Callable[[], list[dict[str, Any]]]:
    def probe() -> list[dict[str, Any]]:
        records = records_about(world.suite.infra.kafka_bootstrap, topics.DECISIONS, world.ids[label])
        by_id = {r.id: r.body() for r in records if r.type == topics.VOUCHER_APPROVED}  # at least once
        return list(by_id.values())

    return probe


def granted_on_ledger(world: World, label: str) -> Callable[[], Any]:
    return lambda: world.ledger(label).get("granted", {}).get(world.ids[label])


def test_approval_letters_carry_the_amount_in_figures_and_capitals_and_the_grant_date(
    world: World, after_period: date, delivered: MailSink
) -> None:
    for label in APPROVED:
        (letter,) = mails_about(delivered.messages, world.ids[label])
        figures, capitals = AMOUNTS[label]
        assert f"训力券额度：人民币{capitals}（{figures}）" in letter.text
        assert f"批准日期：{after_period.year}年{after_period.month}月{after_period.day}日" in letter.text
        assert letter.to == world.app(label)["applicant"]["contact"]["email"]


def test_letters_survive_a_mail_server_that_was_down_and_arrive_exactly_once(
    world: World, delivered: MailSink
) -> None:
    expected = {
        f"<approval.{d['decision_id']}@vouchers.example.cn>" for d in world.letters(APPROVED, "approval")
    }
    assert len(expected) == len(APPROVED)

    def once_each() -> bool:
        copies = copies_by_message_id(delivered.messages)
        return all(copies[m] == 1 for m in expected)

    wait_for("one copy of every approval letter", once_each, timeout=30)
    holds_for("no approval letter arrives twice", once_each, seconds=4)
    for doc in world.letters(APPROVED, "approval"):
        outcomes = [(a["channel"], a["outcome"]) for a in doc["attempts"]]
        assert outcomes.count(("smtp", "failed")) >= 2
        assert outcomes.count(("smtp", "sent")) == 1


def test_the_webhook_receives_each_letter_once_signed_after_a_refusal(
    world: World, delivered: MailSink, receiver: WebhookReceiver
) -> None:
    ids = {world.ids[label] for label in APPROVED}
    mine = [d for d in list(receiver.deliveries) if d.body["application_id"] in ids]
    assert mine
    assert all(d.signature_valid for d in mine)
    accepted = receiver.accepted()
    by_app = {d.body["application_id"]: d.delivery_id for d in mine}
    assert set(by_app) == ids
    assert all(accepted[delivery] == 1 for delivery in by_app.values())
    refused = {d.delivery_id for d in mine if d.status == 503}
    assert refused == set(by_app.values())
    assert all("@" not in str(d.body) for d in mine)  # the recipient's address stays out of it


# --- the 60-working-day limit -----------------------------------------------------------


def test_working_days_elapsed_counts_since_acceptance_with_the_notice_left_out(
    world: World, notice: dict[str, Any], after_period: date
) -> None:
    period = (date.fromisoformat(notice["starts_on"]), date.fromisoformat(notice["ends_on"]))
    approved = world.view("approvable")
    assert approved["working_days_elapsed"] == workdays_outside(submitted_on(approved), after_period, period)
    waiting = world.view("late")
    assert waiting["working_days_elapsed"] == workdays_outside(submitted_on(waiting), after_period)
    assert waiting["working_days_elapsed"] > approved["working_days_elapsed"] >= 0


def test_open_cases_past_fifty_working_days_are_listed_for_operators(
    world: World, after_period: date
) -> None:
    late_id = world.ids["late"]
    with world.suite.client("notification", "operator") as client:
        listed = client.get("/v1/cases", params={"overdue": 50}).json()
    items = {c["application_id"]: c for c in listed["items"]}
    expected = workdays_outside(submitted_on(world.view("late")), after_period)
    assert items[late_id]["working_days_elapsed"] == expected > 50
    assert items[late_id]["status"] == "awaiting_notice"
    assert not {world.ids[label] for label in (*APPROVED, "upheld")} & set(items)
    assert world.view("late")["working_days_elapsed"] == expected
    with world.suite.client("notification", "submitter", world.usccs["late"]) as client:
        assert client.get("/v1/cases", params={"overdue": 50}).status_code == 403

    def flagged() -> float:
        with world.suite.client("notification") as client:
            metrics = client.get("/metrics").text
        found = re.search(r'^vouchers_open_cases_past_mark\{mark="50"\} (\S+)$', metrics, re.M)
        return float(found.group(1)) if found else 0.0

    assert wait_for("the overdue gauge", lambda: flagged() >= 1, timeout=30)


def test_a_notice_period_running_into_2027_is_refused_not_guessed(world: World, after_period: date) -> None:
    with world.suite.client("notification") as client:
        before = client.get("/notices", params={"format": "json"}).json()["items"]
        refused = client.post("/v1/notices")
        after = client.get("/notices", params={"format": "json"}).json()["items"]
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "WORKING_DAY_CALENDAR_UNKNOWN"
    assert problem["year"] == 2027
    assert "2027" in problem["detail"]
    assert len(after) == len(before)
    assert world.case("late")["status"] == "awaiting_notice"
