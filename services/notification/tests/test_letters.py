"""Letters state the voucher in figures and in capitals, and every failed rule with its clause."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from notification.domain.letters import REDEMPTION_EVIDENCE, Letter, render_approval, render_rejection
from notification.domain.templating import amount_in_capitals, amount_in_figures
from notification_testkit import finding

AMOUNTS = [
    ("600000.00", "¥600,000.00", "陆拾万元整"),
    ("10000000.00", "¥10,000,000.00", "壹仟万元整"),
    ("1200000.00", "¥1,200,000.00", "壹佰贰拾万元整"),
    ("123456.78", "¥123,456.78", "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
    ("100000.05", "¥100,000.05", "壹拾万元零伍分"),
    ("600000.50", "¥600,000.50", "陆拾万元伍角"),
    ("100010.00", "¥100,010.00", "壹拾万零壹拾元整"),
]


def approval(amount: str, applicant: str = "深圳市示例智算科技有限公司") -> Letter:
    return render_approval(
        decision_id="dec-1",
        application_id="APP-2026-0001",
        applicant_name=applicant,
        project_title="面向制造业质检的视觉大模型训练",
        amount_cny=Decimal(amount),
        granted_on=date(2026, 10, 13),
        to="contact@example.cn",
    )


@pytest.mark.parametrize(("amount", "figures", "capitals"), AMOUNTS)
def test_amounts_are_written_in_figures_and_capitals(amount: str, figures: str, capitals: str) -> None:
    assert amount_in_figures(Decimal(amount)) == figures
    assert amount_in_capitals(Decimal(amount)) == capitals


@pytest.mark.parametrize(("amount", "figures", "capitals"), AMOUNTS)
def test_the_approval_letter_carries_the_amount_both_ways_in_text_and_html(
    amount: str, figures: str, capitals: str
) -> None:
    letter = approval(amount)
    for body in (letter.text, letter.html):
        assert figures in body
        assert f"人民币{capitals}" in body


def test_the_approval_letter_names_applicant_application_project_and_grant_date() -> None:
    letter = approval("720000.00")
    assert letter.kind == "approval"
    assert "APP-2026-0001" in letter.subject
    for body in (letter.text, letter.html):
        assert "深圳市示例智算科技有限公司" in body
        assert "APP-2026-0001" in body
        assert "面向制造业质检的视觉大模型训练" in body
        assert "2026年10月13日" in body
        assert "收到本批准文件之日起视为获取训力券" in body
        assert REDEMPTION_EVIDENCE in body


def test_the_html_letter_escapes_what_the_applicant_typed() -> None:
    letter = approval("720000.00", applicant="<script>alert(1)</script>有限公司")
    assert "<script>" not in letter.html
    assert "&lt;script&gt;" in letter.html
    assert "<script>alert(1)</script>有限公司" in letter.text
    assert '<html lang="zh-CN">' in letter.html


def test_an_approval_without_a_voucher_is_refused() -> None:
    with pytest.raises(ValueError, match="above zero"):
        approval("0.00")


def test_the_rejection_letter_lists_every_failed_rule_with_its_clause_and_reason() -> None:
    failed = [
        finding("AMT-MIN-SPEND", "fail"),
        finding("COI-RELATED-PARTY", "fail", "SZ-HT-2026-0002"),
        finding("MAT-TAX", "fail"),
    ]
    letter = render_rejection(
        decision_id="dec-2",
        application_id="APP-2026-0002",
        applicant_name="深圳市示例智算科技有限公司",
        project_title="视觉大模型训练",
        failed_rules=failed,
        reasons=["资格审查未通过", "材料核查未通过"],
        decided_on=date(2026, 6, 10),
        to="contact@example.cn",
        own_people=(),
    )
    assert letter.kind == "rejection"
    for body in (letter.text, letter.html):
        for f in failed:
            assert f.rule in body
            assert f.clause in body
            assert f.message in body
        assert "SZ-HT-2026-0002" in body
        assert "资格审查未通过" in body
        assert "2026年6月10日" in body
    assert "规则 COI-RELATED-PARTY（依据指南条款：三(一)2），合同编号 SZ-HT-2026-0002" in letter.text


def test_a_rejection_without_any_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        render_rejection(
            decision_id="dec-3",
            application_id="APP-3",
            applicant_name="某公司",
            project_title="某项目",
            failed_rules=[],
            reasons=[],
            decided_on=date(2026, 6, 10),
            to="contact@example.cn",
            own_people=(),
        )
