"""The bureau's console in headless Chromium, over the real suite.

An operator signs in by pasting a token, finds a case held for review (filed from another
account than the project lead's, with one contract at a provider related to the applicant),
reads its findings and the evidence path, approves it for the notice, opens a notice batch,
records an objection for a caller and dismisses it; notification is then restarted on a
program clock past the notice period and the page shows the case approved and its letter
sent. Beside that: a submitter is refused, a form with a forged or missing CSRF token changes
nothing, an auditor sees the same pages with no action, and axe-core finds no serious or
critical violation on any page visited. The queue and the case page are photographed for the
README (docs/images/).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support.filing import add_refdata, application, file, qr_code_of, wait_view
from tests.support.samples import applicant_block, make_uscc
from tests.support.suite import Suite, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.browser, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
IMAGES = REPO / "docs" / "images"
BLOCK = applicant_block()
RELATED_HOLDER = "91440303MA5K000049"  # holds 25% of the sample batch-3 provider
RELATED_PROVIDER = ("91440306MA5K00003H", "深圳市丙云计算有限公司")
SERIOUS = ("serious", "critical")


@dataclass
class Held:
    application_id: str
    uscc: str
    name: str


def related_application(uscc: str) -> dict[str, Any]:
    """The approvable sample, filed from another account than the project lead's (review), with a
    second contract at a provider that the applicant's 35% holder holds 25% of (conflict)."""
    app = application(uscc)
    app["applicant"]["name"] = "深圳市控制台测试智算科技有限公司"
    app["declarations"]["filed_by_project_lead"] = False
    app["contracts"].append(
        {
            **app["contracts"][0],
            "contract_no": "HT-REL-01",
            "provider_uscc": RELATED_PROVIDER[0],
            "provider_name": RELATED_PROVIDER[1],
            "signed_on": "2025-12-20",
            "service_start": "2026-01-01",
            "service_end": "2026-11-30",
            "amount_cny": "300000.00",
        }
    )
    app["materials"].append({"kind": "service_contract", "contract_no": "HT-REL-01", "sha256": "ab" * 32})
    return app


@pytest.fixture(scope="module")
def held(suite: Suite) -> Iterator[Held]:
    uscc = make_uscc(BLOCK + 1)
    add_refdata(suite, "audit_reports", [{"qr_code": qr_code_of(uscc), "uscc": uscc, "fiscal_year": 2025}])
    add_refdata(
        suite,
        "holdings",
        [{"holder_id": RELATED_HOLDER, "holder_kind": "company", "held_uscc": uscc, "pct": "35.00"}],
    )
    app = related_application(uscc)
    application_id = file(suite, app)
    wait_view(suite, application_id, "status needs_review", lambda v: v["status"] == "needs_review", 120)
    try:
        yield Held(application_id, uscc, app["applicant"]["name"])
    finally:
        suite.restore()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
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
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    opened.set_default_timeout(30_000)
    try:
        yield opened
    finally:
        opened.close()


def accessible(page: Page) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                               nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
    bad = [v for v in violations if v["impact"] in SERIOUS]
    assert not bad, f"{page.url}: {bad}"


def sign_in(page: Page, suite: Suite, token: str) -> None:
    page.goto(f"{suite.urls['notification']}/console/")
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    accessible(page)
    page.get_by_label("访问令牌").fill(token)
    page.get_by_role("button", name="登录", exact=True).click()


def case_status(suite: Suite, application_id: str) -> str:
    with suite.client("notification", "auditor") as client:
        return str(client.get(f"/v1/cases/{application_id}").json()["status"])


def confirm(page: Page) -> None:
    expect(page.get_by_role("heading", name="请确认")).to_be_visible()
    accessible(page)
    page.get_by_role("button", name="确认办理").click()


# --- who may come in, and forms that did not come from the console ------------------------


def test_a_submitter_token_is_refused_with_a_page_saying_so(
    suite: Suite, held: Held, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, suite, suite.tokens.issue("submitter", held.uscc))
    expect(page.get_by_role("alert")).to_contain_text("申报单位的令牌不能进入")
    accessible(page)
    page.goto(f"{suite.urls['notification']}/console/queue")
    assert page.url.endswith("/console/sign-in?next=%2Fconsole%2Fqueue")


@pytest.mark.parametrize("csrf", [None, "forged"])
def test_a_form_with_a_forged_or_missing_csrf_token_changes_nothing(
    suite: Suite, held: Held, context: BrowserContext, csrf: str | None
) -> None:
    page = context.new_page()
    sign_in(page, suite, suite.tokens.issue("operator"))
    page.goto(f"{suite.urls['notification']}/console/cases/{held.application_id}")
    fields: dict[str, str | float | bool] = {
        "decision": "reject",
        "note": "伪造",
        "rules": "ELIG-SELF-FILED",
        "confirmed": "yes",
    }
    if csrf is not None:
        fields["csrf"] = "0" * 64
    answer = context.request.post(
        f"{suite.urls['notification']}/console/cases/{held.application_id}/review", form=fields
    )
    assert answer.status == 403
    assert "表单已失效" in answer.text()
    assert case_status(suite, held.application_id) == "needs_review"


# --- an operator from review to approval ------------------------------------------------------


def test_an_operator_takes_a_held_case_through_review_notice_and_objection_to_approval(
    suite: Suite, held: Held, context: BrowserContext
) -> None:
    base = suite.urls["notification"]
    page = context.new_page()
    sign_in(page, suite, suite.tokens.issue("operator"))
    expect(page.get_by_role("heading", name="待办案件", level=1)).to_be_visible()
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "console-queue.png"))
    accessible(page)

    page.get_by_label("状态").select_option("needs_review")
    page.get_by_label("申请编号、统一社会信用代码或申请单位名称").fill(held.uscc)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=held.application_id).click()

    read_findings_and_evidence(page, held)
    page.screenshot(
        path=str(IMAGES / "console-case.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 1500},
    )
    page.evaluate("document.getElementById('check-conflict_of_interest').scrollIntoView()")
    page.screenshot(path=str(IMAGES / "console-evidence.png"))
    accessible(page)

    page.get_by_label("意见").first.fill("经核实系项目负责人授权经办，同意公示")
    page.get_by_role("button", name="复核通过，拟公示").click()
    confirm(page)
    expect(page.get_by_role("status")).to_contain_text("复核已通过")
    wait_for(
        "the case awaiting its notice",
        lambda: case_status(suite, held.application_id) == "awaiting_notice",
        timeout=60,
    )

    notice_id, ends_on = open_batch(page, base, held)
    object_and_dismiss(page, base, held)

    suite.restart(on=("notification",), clock=f"{(ends_on + timedelta(days=7)).isoformat()}T10:00:00+08:00")
    wait_for("the case approved", lambda: case_status(suite, held.application_id) == "approved", timeout=120)

    def letter_sent() -> bool:
        page.goto(f"{base}/console/cases/{held.application_id}")
        return page.locator('tr.letter[data-kind="approval"][data-sent="yes"]').count() == 1

    wait_for("the approval letter shown sent", letter_sent, timeout=90, every=2)
    expect(page.locator("dl.facts").first).to_contain_text("已审定，发放训力券")
    expect(page.locator("dl.facts").first).to_contain_text(notice_id)
    accessible(page)


def read_findings_and_evidence(page: Page, held: Held) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(held.name)
    for rule, result in (
        ("ELIG-SELF-FILED", "需人工复核"),
        ("COI-RELATED-PARTY", "未通过"),
        ("AMT-RATE", "通过"),
    ):
        row = page.locator(f'tr.finding[data-rule="{rule}"]').filter(has_text=result).first
        expect(row).to_be_visible()
        expect(row.locator("td").first).not_to_be_empty()  # the clause
    evidence = page.locator("figure svg[role=img]").first
    expect(evidence).to_be_visible()
    expect(evidence.locator("text")).to_contain_text(["持股 35.00%", "持股 25.00%"])
    expect(page.locator("figure figcaption").first).not_to_be_empty()
    related = page.locator("#contracts-h + table tbody tr").filter(has_text="HT-REL-01")
    expect(related).to_contain_text("COI-RELATED-PARTY")  # left out of the voucher
    expect(page.locator("#voucher-h + dl")).to_contain_text("¥600,000.00")
    expect(page.locator("#voucher-h + dl")).to_contain_text("AMT-ANNUAL-CAP")
    expect(page.locator("#materials-h + table")).to_contain_text(qr_code_of(held.uscc))
    expect(page.locator("#materials-h ~ p").filter(has_text="MAT-AUDIT-QR")).to_contain_text("通过")
    consent = page.get_by_role("heading", name="训力审计同意书记录").locator(
        "xpath=following-sibling::table[1]"
    )
    expect(consent).to_contain_text("✓ / ✓")  # verification's record: signed by the legal rep., stamped


def open_batch(page: Page, base: str, held: Held) -> tuple[str, date]:
    page.goto(f"{base}/console/queue")
    page.get_by_role("button", name="开启社会公示批次").click()
    expect(page.get_by_role("listitem").filter(has_text=held.application_id)).to_have_count(1)
    confirm(page)
    flash = page.get_by_role("status")
    expect(flash).to_contain_text("公示批次")
    accessible(page)
    found = re.search(r"公示批次 (\S+) 已开启，公示期 \S+ 至 (\d{4}-\d{2}-\d{2})", flash.inner_text())
    assert found is not None, flash.inner_text()
    page.get_by_role("link", name="查看公示页面").click()
    expect(page.locator("tbody tr").filter(has_text=held.application_id)).to_have_count(1)
    return found.group(1), date.fromisoformat(found.group(2))


def object_and_dismiss(page: Page, base: str, held: Held) -> None:
    page.goto(f"{base}/console/cases/{held.application_id}")
    page.get_by_label("理由").fill("来电反映合同金额存疑")
    page.get_by_label("异议人联系方式").fill("caller-console@example.org")
    page.get_by_role("button", name="代为登记异议").click()
    confirm(page)
    expect(page.get_by_role("status")).to_contain_text("异议已登记")
    expect(page.locator("dl.facts").first).to_contain_text("公示异议处理中")
    accessible(page)
    form = page.locator("form.resolve-form")
    form.get_by_label("异议不成立").check()
    form.get_by_label("意见").fill("经核实合同金额无误")
    form.get_by_role("button", name="处理异议").click()
    confirm(page)
    expect(page.get_by_role("status")).to_contain_text("异议已处理")
    expect(page.locator("dl.facts").first).to_contain_text("社会公示中")
    expect(page.locator("#objections-h + table")).to_contain_text("经核实合同金额无误")
    expect(page.locator("#timeline-h + table")).to_contain_text("经核实合同金额无误")


# --- an auditor reads everything and acts on nothing ---------------------------------------


def test_an_auditor_sees_the_same_pages_and_no_action(
    suite: Suite, held: Held, context: BrowserContext
) -> None:
    base = suite.urls["notification"]
    page = context.new_page()
    page.goto(f"{base}/console/sign-in")
    page.get_by_role("button", name="以此身份登录：审计人员（只读）").click()
    expect(page.get_by_text("审计人员（只读）").first).to_be_visible()
    for path in (
        "/console/queue",
        f"/console/cases/{held.application_id}",
        "/console/overview",
        "/console/dead-letters",
    ):
        page.goto(f"{base}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.locator("main form[method=post]").count() == 0, path
        accessible(page)
    page.goto(f"{base}/console/overview")
    expect(page.locator("#refdata-h + table")).to_contain_text("holdings")  # from intake's verdicts
    expect(page.locator("#counts-h + table")).to_contain_text("已审定，发放训力券")
    expect(page.locator("#granted-cny")).not_to_have_text("¥0.00")
    page.goto(f"{base}/console/cases/{held.application_id}")
    expect(page.get_by_text("您以审计人员身份查阅")).to_be_visible()
    expect(page.locator("tr.finding").first).to_be_visible()
    csrf = page.locator('input[name="csrf"]').first.get_attribute("value")
    before = case_status(suite, held.application_id)
    answer = context.request.post(
        f"{base}/console/cases/{held.application_id}/objections",
        form={
            "csrf": csrf or "",
            "reason": "审计人员不能登记",
            "contact": "a@example.org",
            "confirmed": "yes",
        },
    )
    assert answer.status == 403
    assert case_status(suite, held.application_id) == before
    page.goto(f"{base}/console/lang/en?next=%2Fconsole%2Foverview")
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    accessible(page)
