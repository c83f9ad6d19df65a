"""The console's view models: the queue's order, search and pages; the evidence path as drawn;
how the voucher is explained; what may be done in each state; the overview's sums."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from notification.adapters.mongo_store import StoredCase
from notification.console import case_view, records
from notification.console.evidence import chain, layout
from notification.console.overview import granted_in, latest_versions, near_limit, overview
from notification.console.queue import QueueFilter, queue, row
from notification.domain.case import Case, ReviewPass, StatusChange, record
from notification_testkit import OPENED, PROVIDER_A, USCC, finding, new_case, sample_application, verdict
from vouchers_shared.findings import EvidenceEdge, EvidencePath, Finding

HOLDER = "91440303MA5K000049"


def summary(
    application_id: str, status: str, days: int | None, name: str = "深圳市甲公司", uscc: str = USCC
) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "applicant_uscc": uscc,
        "applicant_name": name,
        "project_title": "项目",
        "status": status,
        "opened_at": f"2026-05-{10 + (days or 0) % 20:02d}",
        "working_days_elapsed": days,
    }


# --- the queue ------------------------------------------------------------------------------


def test_cases_held_for_review_come_first_then_the_longest_running_open_ones() -> None:
    listed = queue(
        [
            summary("A", "approved", 70),
            summary("B", "awaiting_notice", 12),
            summary("C", "needs_review", 3),
            summary("D", "checking", 61),
            summary("E", "needs_review", 40),
            summary("F", "in_public_notice", None),
        ],
        QueueFilter(),
        limit_days=60,
    )
    assert [r.application_id for r in listed.rows] == ["E", "C", "D", "B", "F", "A"]


def test_the_days_left_of_the_limit_are_shown_for_open_cases_only_and_go_negative_past_it() -> None:
    assert row(summary("D", "checking", 61), 60).days_left == -1
    assert row(summary("D", "checking", 61), 60).overdue
    assert row(summary("B", "awaiting_notice", 12), 60).days_left == 48
    assert row(summary("A", "approved", 70), 60).days_left is None


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("APP-2", ["APP-2"]),
        ("app-2", ["APP-2"]),
        ("91440305MA5K000134", ["APP-3"]),
        ("乙", ["APP-2"]),
        ("深圳市", ["APP-1", "APP-2", "APP-3"]),
        ("APP", []),
        ("", ["APP-1", "APP-2", "APP-3"]),
    ],
)
def test_a_search_matches_the_application_id_the_uscc_or_part_of_the_name(
    search: str, found: list[str]
) -> None:
    items = [
        summary("APP-1", "checking", 1, "深圳市甲公司"),
        summary("APP-2", "checking", 2, "深圳市乙公司"),
        summary("APP-3", "checking", 3, "深圳市丙公司", uscc="91440305MA5K000134"),
    ]
    listed = queue(items, QueueFilter(search=search), limit_days=60)
    assert sorted(r.application_id for r in listed.rows) == found


def test_the_queue_is_paged_and_a_page_past_the_end_shows_the_last() -> None:
    items = [summary(f"APP-{n:02d}", "checking", n) for n in range(30)]
    first = queue(items, QueueFilter(page=1), limit_days=60, page_size=25)
    last = queue(items, QueueFilter(page=9), limit_days=60, page_size=25)
    assert (first.total, first.pages, len(first.rows)) == (30, 2, 25)
    assert (last.page, len(last.rows)) == (2, 5)
    assert {r.application_id for r in first.rows}.isdisjoint({r.application_id for r in last.rows})


def test_a_filter_from_the_address_falls_back_on_anything_it_does_not_know() -> None:
    assert QueueFilter.of("no_such_status", "  x ", "-3") == QueueFilter(None, "x", 1)
    assert QueueFilter.of("needs_review", None, "two") == QueueFilter("needs_review", "", 1)


# --- the evidence path ----------------------------------------------------------------------


def common_holder() -> EvidencePath:
    return EvidencePath(
        relation="common_holder",
        summary="申请单位 ←35%— H —25%→ 服务机构",
        edges=[
            EvidenceEdge(
                source=HOLDER, target=USCC, kind="holding", pct="35.00", origin="refdata:holdings@1"
            ),
            EvidenceEdge(
                source=HOLDER, target=PROVIDER_A, kind="holding", pct="25.00", origin="refdata:holdings@1"
            ),
        ],
    )


def test_a_path_is_drawn_from_the_applicant_each_relation_in_the_direction_it_holds() -> None:
    graph = layout(
        common_holder(), {USCC: "申请单位", HOLDER: "某控股有限公司"}, USCC, frozenset({PROVIDER_A})
    )
    assert [n.party for n in graph.nodes] == [USCC, HOLDER, PROVIDER_A]
    assert [n.role for n in graph.nodes] == ["applicant", "other", "provider"]
    assert [n.label for n in graph.nodes] == ["申请单位", "某控股有限公司", ""]  # its name unknown here
    holds_applicant, holds_provider = graph.links
    assert not holds_applicant.forward  # H → applicant: the arrow points left, to the applicant
    assert holds_provider.forward
    assert (holds_applicant.pct, holds_provider.pct) == ("35.00", "25.00")
    assert all(a.x + a.width < b.x for a, b in zip(graph.nodes, graph.nodes[1:], strict=False))
    assert graph.width >= graph.nodes[-1].x + graph.nodes[-1].width


def test_a_long_name_is_shortened_to_fit_its_box() -> None:
    graph = layout(common_holder(), {HOLDER: "深圳市某某某某某某控股集团有限责任公司"}, USCC)
    assert graph.nodes[1].label == "深圳市某某某某某某控股集团…"
    assert len(graph.nodes[1].label) == 14


def test_a_chain_starts_at_an_end_when_the_applicant_is_not_on_it() -> None:
    edges = common_holder().edges
    assert chain(edges, start="nobody") in ([USCC, HOLDER, PROVIDER_A], [PROVIDER_A, HOLDER, USCC])
    assert chain([], start=USCC) == []


# --- the case -------------------------------------------------------------------------------


def amount_findings(observed: str, limit: str) -> tuple[Finding, ...]:
    return (
        finding("AMT-RATE").model_copy(update={"observed": "0.60"}),
        finding("AMT-ANNUAL-CAP").model_copy(update={"observed": observed, "limit": limit}),
    )


def test_the_voucher_is_explained_by_its_rate_and_the_yearly_room_left() -> None:
    case = record(
        new_case(), verdict("eligibility", "pass", "e1", findings=amount_findings("720000.00", "10000000.00"))
    )
    shown = case_view.amount(case)
    assert shown is not None
    assert shown.rate is not None
    assert shown.rate.observed == "0.60"
    assert shown.cap is not None
    assert not shown.capped
    cut = record(
        new_case(),
        verdict(
            "eligibility", "pass", "e1", total="200000.00", findings=amount_findings("720000.00", "200000.00")
        ),
    )
    assert case_view.amount(cut).capped  # type: ignore[union-attr]
    assert case_view.amount(new_case()) is None


def test_every_finding_is_listed_passed_ones_too_with_the_evidence_drawn() -> None:
    conflict = finding("COI-RELATED-PARTY", "fail", "HT-2").model_copy(update={"evidence": [common_holder()]})
    case = record(
        new_case(),
        verdict("conflict_of_interest", "conflict", "c1", findings=(finding("COI-SAME-ENTITY"), conflict)),
    )
    views = {v.check: v for v in case_view.checks(case, sample_application().model_dump(mode="json"))}
    assert list(views) == ["eligibility", "conflict_of_interest", "verification"]
    assert views["eligibility"].outcome == "pending"
    rows = views["conflict_of_interest"].findings
    assert [(r.finding.rule, r.finding.result, len(r.graphs)) for r in rows] == [
        ("COI-SAME-ENTITY", "pass", 0),
        ("COI-RELATED-PARTY", "fail", 1),
    ]
    assert rows[1].graphs[0].nodes[0].label == "深圳市示例智算科技有限公司"


def test_a_contract_failing_a_contract_rule_is_shown_left_out() -> None:
    case = record(
        new_case(),
        verdict(
            "eligibility",
            "pass",
            "e1",
            findings=(finding("CON-SIGNING-WINDOW", "fail", "HT-2"), finding("CON-CONTENT", "pass", "HT-1")),
        ),
    )
    shown = {c.contract_no: c for c in case_view.contracts(case, None)}
    assert shown["HT-1"].voucher_cny == Decimal("720000.00")
    assert shown["HT-2"].failed_rules == ("CON-SIGNING-WINDOW",)
    filed = sample_application().model_dump(mode="json")
    assert [c.contract_no for c in case_view.contracts(case, filed)] == ["SZ-HT-2026-0001"]


def test_a_rejection_on_review_rests_on_rules_not_passed_and_names_them_in_its_note() -> None:
    case = record(
        new_case(),
        verdict(
            "eligibility",
            "review",
            "e1",
            findings=(finding("ELIG-SELF-FILED", "review"), finding("AMT-RATE")),
        ),
    )
    assert case_view.rules_held(case) == ("ELIG-SELF-FILED",)
    assert case_view.note_with_rules(" 代理申报 ", ["ELIG-SELF-FILED"]) == (
        "代理申报（依据规则 rules: ELIG-SELF-FILED）"
    )
    assert case_view.note_with_rules("通过", []) == "通过"


# --- what may be done -----------------------------------------------------------------------


def held(case: Case) -> Case:
    return case.moved_to(StatusChange(at=OPENED, status="needs_review"))


@pytest.mark.parametrize(("outcome", "passable"), [("review", True), ("fail", False)])
def test_a_held_case_may_be_passed_only_without_a_failed_check(outcome: str, passable: bool) -> None:
    case = held(record(new_case(), verdict("eligibility", outcome, "e1")))
    allowed = records.actions(case, may_act=True, today=OPENED.date())
    assert (allowed.review_pass, allowed.review_reject) == (passable, True)
    passed = case.model_copy(update={"review_pass": ReviewPass(review_id="r", by="op", at=OPENED)})
    assert not records.actions(passed, may_act=True, today=OPENED.date()).review_pass


def test_objections_are_offered_during_the_notice_period_only_and_to_operators_only() -> None:
    case = new_case().moved_to(
        StatusChange(at=OPENED, status="in_public_notice"),
        notice_id="GS",
        notice_starts_on=date(2026, 6, 1),
        notice_ends_on=date(2026, 6, 5),
    )
    assert records.actions(case, may_act=True, today=date(2026, 6, 5)).record_objection
    assert not records.actions(case, may_act=True, today=date(2026, 6, 6)).record_objection
    assert not records.actions(case, may_act=False, today=date(2026, 6, 3)).any
    raised = case.moved_to(StatusChange(at=OPENED, status="objection_raised"), open_objections=("o1",))
    assert records.actions(raised, may_act=True, today=date(2026, 6, 3)).resolve == {"o1"}


# --- the overview ---------------------------------------------------------------------------


def stored(status: str, total: str, approved_on: date | None = None) -> StoredCase:
    case = record(new_case(f"APP-{status}-{total}"), verdict("eligibility", "pass", "e", total=total))
    case = case.model_copy(update={"status": status, "approved_on": approved_on})
    return StoredCase(case, {}, [], [], 1)


def test_reserved_and_granted_sum_the_vouchers_of_cases_by_status_and_year() -> None:
    cases = [
        stored("awaiting_notice", "100.00"),
        stored("in_public_notice", "200.00"),
        stored("objection_raised", "300.00"),
        stored("needs_review", "400.00"),
        stored("approved", "500.00", date(2026, 7, 1)),
        stored("approved", "600.00", date(2025, 7, 1)),
        stored("rejected", "700.00"),
    ]
    seen = overview(cases, [], year=2026, warning_days=50, refdata_versions={})
    assert seen.reserved_cny == Decimal("600.00")
    assert seen.granted_cny == Decimal("500.00")
    assert {line.status: (line.cases, line.voucher_cny) for line in seen.lines}["approved"] == (
        2,
        Decimal("1100.00"),
    )
    assert seen.total_cases == 7
    assert granted_in([c.case for c in cases], 2025) == Decimal("600.00")


def test_cases_past_the_warning_mark_are_listed_longest_first() -> None:
    rows = [
        row(summary("A", "checking", 51), 60),
        row(summary("B", "awaiting_notice", 62), 60),
        row(summary("C", "checking", 50), 60),
        row(summary("D", "approved", 70), 60),
    ]
    assert [r.application_id for r in near_limit(rows, 50)] == ["B", "A"]


def test_the_newest_version_of_each_kind_is_the_one_shown() -> None:
    reports = [
        {"providers": "20260501T000000000000Z-aaa", "holdings": "20260502T000000000000Z-bbb"},
        {"providers": "20260503T000000000000Z-ccc"},
        {},
    ]
    assert latest_versions(reports) == {
        "holdings": "20260502T000000000000Z-bbb",
        "providers": "20260503T000000000000Z-ccc",
    }
