"""The public's objection form (九 社会公示及征求意见) in headless Chromium with JavaScript off,
over the real suite.

Two applications of this module's applicants reach a public notice. In a browser context that
runs no script, an objector opens the notice page, follows the row link of one of them (the
form opens with it chosen), files an objection and reads its reference number; the case goes
to `objection_raised` in intake's read model and in the operators' case. Filing the same again
gives the same reference. A form with blank fields comes back with a message by each field,
what was entered still in it, and nothing filed. The public pages never show the objector.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.filing import add_refdata, application, file, qr_code_of, wait_view
from tests.support.samples import applicant_block, make_uscc
from tests.support.suite import Suite

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.browser, pytest.mark.timeout(900)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BLOCK = applicant_block()
OBJECTOR = "深圳市异议人测试咨询有限公司"
CONTACT = f"objector-{BLOCK}@example.org"
REASON = "该项目的服务合同金额与实际采购不符。\n合同签订日期早于供给方入库日期。"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class OnNotice:
    suite: Suite
    notice_id: str
    objected: str  # the application objected to through the form
    other: str  # the application the invalid form names

    @property
    def url(self) -> str:
        return f"{self.suite.urls['notification']}/notices/{self.notice_id}"

    def status(self, application_id: str, status: str) -> dict[str, Any]:
        return wait_view(self.suite, application_id, f"status {status}", lambda v: v["status"] == status)

    def case_status(self, application_id: str) -> str:
        with self.suite.client("notification", "operator") as client:
            response = client.get(f"/v1/cases/{application_id}")
        assert response.status_code == 200, response.text
        return str(response.json()["status"])


@pytest.fixture(scope="module")
def on_notice(suite: Suite) -> OnNotice:
    usccs = [make_uscc(BLOCK + n) for n in (1, 2)]
    add_refdata(
        suite, "audit_reports", [{"qr_code": qr_code_of(u), "uscc": u, "fiscal_year": 2025} for u in usccs]
    )
    ids = [file(suite, application(u)) for u in usccs]
    for application_id in ids:
        wait_view(suite, application_id, "status awaiting_notice", lambda v: v["status"] == "awaiting_notice")
    with suite.client("notification", "operator") as client:
        response = client.post("/v1/notices")
    assert response.status_code == 201, response.text
    world = OnNotice(suite, response.json()["notice_id"], *ids)
    for application_id in ids:
        world.status(application_id, "in_public_notice")
    return world


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a context that runs no script: the form must work without it."""
    context = browser.new_context(
        java_script_enabled=False, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def fill_and_send(page: Any, objector: str, contact: str, reason: str) -> Any:
    """Type into the form by its labels and send it; the answer's response."""
    page.get_by_label("姓名或单位名称").fill(objector)
    page.get_by_label("联系方式").fill(contact)
    page.get_by_label("异议理由").fill(reason)
    with page.expect_navigation() as answered:
        page.get_by_role("button", name="提交异议").click()
    return answered.value


def object_by_row_link(page: Any, world: OnNotice) -> tuple[Any, str]:
    """From the notice page, the row link of the application, then the form; the answer and
    the reference number it shows."""
    page.goto(world.url)
    row = page.locator("tbody tr").filter(has_text=world.objected)
    row.get_by_role("link", name=re.compile("提出异议")).click()
    page.wait_for_load_state()
    assert page.locator("#objection-application_id").input_value() == world.objected
    response = fill_and_send(page, OBJECTOR, CONTACT, REASON)
    return response, page.locator("#objection-reference").inner_text()


def test_an_objection_filed_through_the_page_without_script_holds_the_case_and_once_only(
    on_notice: OnNotice, page: Any
) -> None:
    first, reference = object_by_row_link(page, on_notice)
    assert first.status == 201
    assert re.fullmatch(r"OBJ-[0-9A-F]{16}", reference)
    assert page.locator("h1").inner_text() == "异议已提交"
    assert "接下来" in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "objection-filed.png"), full_page=True)
    confirmation = page.locator("body").inner_text()

    on_notice.status(on_notice.objected, "objection_raised")  # intake's read model
    assert on_notice.case_status(on_notice.objected) == "objection_raised"
    assert on_notice.case_status(on_notice.other) == "in_public_notice"

    again, same = object_by_row_link(page, on_notice)
    assert again.status == 200
    assert same == reference
    assert page.locator("h1").inner_text() == "相同的异议此前已提交"

    page.goto(on_notice.url)
    notice = page.locator("body").inner_text()
    for shown in (confirmation, notice, page.locator("body").inner_text()):
        assert OBJECTOR not in shown
        assert CONTACT not in shown
    assert on_notice.objected in notice  # still listed while the objection is looked into


def test_a_form_with_blank_fields_comes_back_with_a_message_by_each_and_nothing_filed(
    on_notice: OnNotice, page: Any
) -> None:
    page.goto(on_notice.url)
    page.get_by_label("异议针对的申请").select_option(on_notice.other)
    answer = fill_and_send(page, "   ", "", "\n  \n")
    assert answer.status == 422
    assert page.title().startswith("错误：")
    assert page.locator("#objection-errors").is_visible()
    for name in ("objector", "contact", "reason"):
        field = page.locator(f"#objection-{name}")
        error = page.locator(f"#objection-{name}-error")
        assert error.is_visible()
        assert "请填写" in error.inner_text()
        assert field.get_attribute("aria-invalid") == "true"
        assert f"objection-{name}-error" in (field.get_attribute("aria-describedby") or "").split()
    assert page.locator("#objection-application_id-error").count() == 0
    assert page.locator("#objection-application_id").input_value() == on_notice.other
    assert page.locator("#objection-objector").input_value() == "   "
    page.screenshot(path=str(ARTIFACTS / "objection-errors.png"), full_page=True)
    assert on_notice.case_status(on_notice.other) == "in_public_notice"
