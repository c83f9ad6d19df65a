"""The objection form of the notice page: read from a form-encoded body, checked field by field
with a message by each field in error, and drawn on the page only while the notice runs."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from notification.domain.notice_page import (
    NoticeEntry,
    NoticeView,
    render_notice_page,
    render_objection_filed,
    render_objection_refused,
)
from notification.domain.objection_form import (
    FIELDS,
    FORM_ERROR,
    MAX_LENGTHS,
    FormUnreadable,
    ObjectionFields,
    ObjectionForm,
    check,
    parse_form,
)

GOOD = {
    "application_id": "APP-1",
    "objector": "张三",
    "contact": "zhang@example.org",
    "reason": "合同金额与实际采购不符",
}
NOTICE = NoticeView(
    notice_id="GS20260601-ABC123",
    starts_on=date(2026, 6, 1),
    ends_on=date(2026, 6, 5),
    working_days=5,
    entries=tuple(
        NoticeEntry(
            application_id=f"APP-{n}",
            applicant_name=f"第{n}号公司",
            project_title=f"项目{n}",
            voucher_cny=Decimal("600000.00"),
        )
        for n in (1, 2)
    ),
)
DURING, BEFORE, AFTER = date(2026, 6, 3), date(2026, 5, 29), date(2026, 6, 8)


def body(**fields: str) -> bytes:
    return urlencode({**GOOD, **fields}).encode()


def filled(**fields: str) -> ObjectionForm:
    return parse_form(body(**fields))


# --- reading the form ---------------------------------------------------------------------


def test_a_form_encoded_body_is_read_as_typed_with_line_breaks_as_in_the_text_box() -> None:
    form = parse_form(
        b"application_id=APP-1&objector=%E5%BC%A0+%E4%B8%89&contact=a%40b.cn"
        b"&reason=%E7%AC%AC%E4%B8%80%0D%0A%E7%AC%AC%E4%BA%8C&website=&submit=x"
    )
    assert (form.application_id, form.objector, form.contact) == ("APP-1", "张 三", "a@b.cn")
    assert form.reason == "第一\n第二"
    assert form.honeypot == ""


def test_fields_left_out_are_empty() -> None:
    assert parse_form(b"") == ObjectionForm()


@pytest.mark.parametrize(
    "raw",
    [
        b"reason=%FF%FE",  # not UTF-8 once decoded
        b"reason=\xff",  # not UTF-8 as sent
        b"reason=a&reason=b",  # a field twice: which one was meant?
        b"&".join(b"x%d=1" % n for n in range(40)),  # no form of this page has that many fields
    ],
)
def test_a_body_this_page_does_not_send_is_unreadable(raw: bytes) -> None:
    with pytest.raises(FormUnreadable):
        parse_form(raw)


# --- checking the form --------------------------------------------------------------------


def test_a_form_without_fault_gives_the_objection_fields() -> None:
    assert check(filled()) == ObjectionFields(**GOOD)


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("value", ["", "   ", "\u3000"])
def test_each_field_is_required_in_the_form_even_the_objector(name: str, value: str) -> None:
    checked = check(filled(**{name: value}))
    assert isinstance(checked, ObjectionForm)
    assert set(checked.errors) == {name}
    assert checked.errors[name].startswith("请")


@pytest.mark.parametrize("name", FIELDS)
def test_each_field_holds_as_many_characters_as_the_api_takes_and_not_one_more(name: str) -> None:
    most = MAX_LENGTHS[name]
    assert isinstance(check(filled(**{name: "理" * most})), ObjectionFields)
    checked = check(filled(**{name: "理" * (most + 1)}))
    assert isinstance(checked, ObjectionForm)
    assert checked.errors == {name: checked.errors[name]}
    assert f"最多 {most} 个字符，现有 {most + 1} 个" in checked.errors[name]


def test_a_reason_of_the_most_characters_with_line_breaks_typed_is_taken() -> None:
    typed = ("理" * 99 + "\n") * 20  # 2,000 characters in the text box, 2,020 as sent (CR LF)
    assert isinstance(
        check(parse_form(urlencode({**GOOD, "reason": typed.replace("\n", "\r\n")}).encode())),
        ObjectionFields,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("objector", "张三\u202e"),
        ("contact", "a\u200b@example.org"),
        ("reason", "理由\x00"),
        ("contact", "a@example.org\n"),
    ],
)
def test_invisible_and_control_characters_are_refused_by_their_field(name: str, value: str) -> None:
    checked = check(filled(**{name: value}))
    assert isinstance(checked, ObjectionForm)
    assert set(checked.errors) == {name}
    assert "不可见字符或控制字符" in checked.errors[name]


def test_line_breaks_and_tabs_are_fine_in_the_reason() -> None:
    assert isinstance(check(filled(reason="第一\n第二\t第三")), ObjectionFields)


def test_every_field_in_error_has_its_message_at_once() -> None:
    checked = check(filled(application_id="", objector=" ", contact="c" * 201, reason="\x07"))
    assert isinstance(checked, ObjectionForm)
    assert set(checked.errors) == set(FIELDS)


def test_a_filled_hidden_field_refuses_the_form_as_a_whole() -> None:
    checked = check(filled(website="http://spam.example"))
    assert isinstance(checked, ObjectionForm)
    assert set(checked.errors) == {FORM_ERROR}


def test_the_api_takes_an_objection_without_an_objector() -> None:
    fields = {k: v for k, v in GOOD.items() if k != "objector"}
    assert ObjectionFields(**fields).objector is None


# --- the page -----------------------------------------------------------------------------


def form_of(page: str) -> str:
    found = re.search(r"<form .*?</form>", page, re.S)
    assert found is not None, "no form on the page"
    return found.group(0)


def test_during_the_period_the_page_offers_a_plain_form_posting_to_the_page_route() -> None:
    form = form_of(render_notice_page(NOTICE, today=DURING))
    assert 'method="post"' in form
    assert 'action="/notices/GS20260601-ABC123/objections#objection-form"' in form
    assert "<script" not in render_notice_page(NOTICE, today=DURING)
    for name in FIELDS:
        assert f'<label for="objection-{name}">' in form
        assert f'id="objection-{name}" name="{name}"' in form
        assert f'aria-describedby="objection-{name}-hint"' in form
    assert '<option value="APP-1">' in form
    assert '<option value="APP-2">' in form
    assert re.search(r'<div class="hp" aria-hidden="true">.*?name="website"[^>]*tabindex="-1"', form, re.S)


def test_each_listed_application_links_to_the_form_with_it_chosen() -> None:
    page = render_notice_page(NOTICE, today=DURING)
    for n in (1, 2):
        assert f'href="/notices/GS20260601-ABC123?application_id=APP-{n}#objection-form"' in page
    chosen = form_of(render_notice_page(NOTICE, today=DURING, form=ObjectionForm(application_id="APP-2")))
    assert '<option value="APP-2" selected>' in chosen
    assert '<option value="APP-1">' in chosen


def test_an_application_the_notice_does_not_list_is_never_chosen_nor_offered() -> None:
    form = form_of(render_notice_page(NOTICE, today=DURING, form=ObjectionForm(application_id="APP-9")))
    assert "APP-9" not in form
    assert " selected" not in form


@pytest.mark.parametrize(("today", "says"), [(BEFORE, "2026年6月1日开始"), (AFTER, "2026年6月5日结束")])
def test_outside_the_period_no_form_is_offered_and_the_page_says_when(today: date, says: str) -> None:
    page = render_notice_page(NOTICE, today=today)
    assert "<form" not in page
    assert "application_id=APP-1" not in page
    assert page.count('<th scope="col">') == 5
    closed = re.search(r'<p id="objection-closed">(.*?)</p>', page)
    assert closed is not None
    assert says in re.sub(r"<[^>]+>", "", closed.group(1))


def test_a_notice_listing_nothing_offers_no_form() -> None:
    empty = NoticeView(notice_id="N-0", starts_on=NOTICE.starts_on, ends_on=NOTICE.ends_on, working_days=5)
    assert "<form" not in render_notice_page(empty, today=DURING)


def test_a_form_in_error_is_shown_again_as_entered_with_each_message_by_its_field() -> None:
    checked = check(filled(objector="  ", contact="c" * 201, reason='<script>alert("x")</script>'))
    assert isinstance(checked, ObjectionForm)
    page = render_notice_page(NOTICE, today=DURING, form=checked)
    form = form_of(page)
    assert page.count("<title>错误：") == 1
    for name in ("objector", "contact"):
        error = f'id="objection-{name}-error"'
        assert error in form
        assert f'aria-describedby="objection-{name}-hint objection-{name}-error" aria-invalid="true"' in form
        assert f'<a href="#objection-{name}">{checked.errors[name]}</a>' in form  # the summary
    assert "aria-invalid" not in form.split('id="objection-reason"')[1].split(">")[0]
    assert 'value="' + "c" * 201 + '"' in form
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</textarea>" in form
    assert "<script>" not in page
    assert '<option value="APP-1" selected>' in form


def test_an_error_about_the_whole_form_is_shown_above_it() -> None:
    form = form_of(
        render_notice_page(
            NOTICE, today=DURING, form=filled().with_errors({FORM_ERROR: "提交过于频繁，请在 20 秒后再提交"})
        )
    )
    assert 'role="alert"' in form
    assert "<li>提交过于频繁，请在 20 秒后再提交</li>" in form


@pytest.mark.parametrize("new", [True, False])
def test_the_confirmation_gives_the_reference_and_what_happens_next_and_nothing_personal(new: bool) -> None:
    page = render_objection_filed(NOTICE, "APP-1", "OBJ-0123456789ABCDEF", new=new)
    assert '<strong class="reference" id="objection-reference">OBJ-0123456789ABCDEF</strong>' in page
    assert "接下来" in page
    assert ("此前已有" in page) is not new
    assert 'href="/notices/GS20260601-ABC123"' in page


def test_a_refusal_page_says_why_and_leads_back() -> None:
    page = render_objection_refused("公示期已结束", "不再受理异议。", "GS20260601-ABC123")
    assert "<h1>公示期已结束</h1>" in page
    assert 'href="/notices/GS20260601-ABC123"' in page
    assert 'href="/notices"' in render_objection_refused("没有这个公示批次", "…")
