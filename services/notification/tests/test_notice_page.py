"""The public notice page shows organisations, projects and amounts, and no personal data."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from notification.domain.notice_page import (
    NoticeEntry,
    NoticeView,
    render_notice_page,
    render_notices_index,
)
from notification_testkit import sample_application
from pydantic import ValidationError

DURING = date(2026, 10, 8)  # inside the period of `notice()`: the page holds the objection form


def notice(notice_id: str = "N-2026-001", starts: date = date(2026, 9, 30)) -> NoticeView:
    app = sample_application()
    return NoticeView(
        notice_id=notice_id,
        starts_on=starts,
        ends_on=date(2026, 10, 12),
        working_days=5,
        entries=(NoticeEntry.from_application("APP-2026-0001", app, Decimal("720000.00")),),
    )


def personal_data() -> list[str]:
    app = sample_application()
    a, p = app.applicant, app.project
    people = [a.legal_representative, *a.officers, p.lead, *p.members]
    values = [x.name for x in people] + [x.person_id for x in people]
    values += [s.name for s in a.shareholders] + [s.holder_id for s in a.shareholders]
    return [*values, a.contact.name, a.contact.email, a.contact.mobile]


def test_the_notice_page_contains_no_personal_data() -> None:
    page = render_notice_page(notice(), today=DURING)
    for value in personal_data():
        assert value not in page, value
    assert not re.search(r"1[3-9]\d{9}", page)
    assert "@" not in page


def test_the_notice_page_shows_applicant_project_amount_and_period() -> None:
    page = render_notice_page(notice(), today=DURING)
    assert "深圳市示例智算科技有限公司" in page
    assert "面向制造业质检的视觉大模型训练" in page
    assert "¥720,000.00" in page
    assert "2026年9月30日" in page
    assert "2026年10月12日" in page
    assert 'datetime="2026-10-12"' in page


def test_the_notice_page_says_how_to_object() -> None:
    page = render_notice_page(notice(), today=DURING)
    assert "POST /v1/notices/N-2026-001/objections" in page
    assert '"application_id"' in page
    assert '"reason"' in page
    assert '"contact"' in page
    assert "异议" in page


def test_the_notice_page_is_accessible_chinese_html() -> None:
    page = render_notice_page(notice(), today=DURING)
    assert '<html lang="zh-CN">' in page
    assert "<caption>" in page
    assert page.count('<th scope="col">') == 6  # the last one links each row to the form
    assert '<th scope="row">深圳市示例智算科技有限公司</th>' in page
    assert "<title>" in page
    assert "<main" in page


def test_the_notice_page_escapes_project_titles() -> None:
    entry = NoticeEntry(
        application_id="A-1",
        applicant_name="某公司",
        project_title='<img src=x onerror="alert(1)">',
        voucher_cny=Decimal("1.00"),
    )
    view = NoticeView(
        notice_id="N-1",
        starts_on=date(2026, 9, 30),
        ends_on=date(2026, 10, 12),
        working_days=5,
        entries=(entry,),
    )
    page = render_notice_page(view, today=DURING)
    assert "<img" not in page
    assert "&lt;img" in page


def test_a_notice_entry_refuses_any_other_field() -> None:
    with pytest.raises(ValidationError, match="contact_email"):
        NoticeEntry.model_validate(
            {
                "application_id": "A-1",
                "applicant_name": "某公司",
                "project_title": "某项目",
                "voucher_cny": "1.00",
                "contact_email": "x@example.cn",
            }
        )


def test_the_index_lists_notices_newest_first_with_links() -> None:
    older = notice("N-2026-001", date(2026, 9, 30))
    newer = notice("N-2026-002", date(2026, 10, 8))
    page = render_notices_index([older, newer])
    assert page.index("N-2026-002") < page.index("N-2026-001")
    assert 'href="/notices/N-2026-001"' in page
    assert '<html lang="zh-CN">' in page
    for value in personal_data():
        assert value not in page


def test_an_empty_index_says_so() -> None:
    assert "目前没有公示" in render_notices_index([])
