"""Program parameters: the 2026 file against the guide's own words, and broken files refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from vouchers_shared.program import (
    PARAMETER_NAMES,
    DateWindow,
    ProgramFileError,
    ProgramParams,
    load_program,
    packaged_years,
)

GUIDE = (Path(__file__).parent / "data" / "2026-compute-voucher-guide.zh.txt").read_text("utf-8")
PACKAGED = resources.files("vouchers_shared").joinpath("programs", "2026.yaml")
CST = timezone(timedelta(hours=8))
P = load_program(2026)
ASSUMED = {
    "guide_published_on",
    "processing_warning_working_days",
    "public_notice_working_days",
    "related_party_threshold_pct",
    "related_party_max_hops",
    "voucher_rounding",
}


# --- the 2026 values, each with the words of the guide that give it --------------------------

GUIDE_VALUES: list[tuple[str, object, str, str]] = [
    ("program_year", 2026, "三(一)2", "2026年度深圳市训力券申请指南"),
    ("min_annual_spend_cny", Decimal("500000.00"), "三(一)2", "50万元（含）以上"),
    ("standard_rate", Decimal("0.50"), "三(一)2", "不超过服务合同金额的50%"),
    ("young_enterprise_rate", Decimal("0.60"), "三(一)2", "提高至不超过服务合同金额的60%"),
    ("young_enterprise_max_age_years", 1, "三(一)2", "注册时间未满一周年的企业"),
    ("annual_cap_cny", Decimal("10000000.00"), "三(一)2", "训力券额度最高1000万元"),
    ("other_funding_max_ratio", Decimal("0.50"), "四(一)4", "累计金额超过服务合同金额50%的"),
    ("processing_limit_working_days", 60, "十", "60个工作日"),
    ("audit_fiscal_years", (2025, 2024), "五(六)", "未完成2025年度财务审计报告的单位，提交2024年度"),
    ("filing_opens_at", datetime(2026, 5, 6, 0, 0, tzinfo=CST), "七(二)", "2026年5月6日-"),
    ("filing_closes_at", datetime(2026, 6, 5, 18, 0, tzinfo=CST), "七(二)", "2026年6月5日(截至18:00)"),
]


@pytest.mark.parametrize(("name", "value", "clause", "words"), GUIDE_VALUES)
def test_each_2026_value_is_what_the_guide_says_in_the_clause_it_cites(
    name: str, value: object, clause: str, words: str
) -> None:
    assert getattr(P, name) == value
    assert P.clause(name) == clause
    assert words in P.sources[name].text
    assert words in GUIDE


@pytest.mark.parametrize(
    ("batch", "opens", "words"),
    [
        (
            1,
            date(2024, 12, 9),
            "第一批已入库服务机构签订的服务合同或协议时间应在2024年12月9日至2026年12月31日",
        ),
        (
            2,
            date(2025, 4, 7),
            "第二批已入库服务机构（包含新增服务事项）签订的服务合同或协议时间应在"
            "2025年4月7日至2026年12月31日",
        ),
        (
            3,
            date(2025, 11, 14),
            "第三批已入库服务机构（包含新增服务事项）签订的服务合同或协议时间应在"
            "2025年11月14日至2026年12月31日",
        ),
    ],
)
def test_each_provider_batch_window_is_the_guides(batch: int, opens: date, words: str) -> None:
    assert P.provider_batch_windows[batch] == DateWindow(opens=opens, closes=date(2026, 12, 31))
    assert words in P.sources["provider_batch_windows"].text
    assert words in GUIDE
    assert P.clause("provider_batch_windows") == "三(二)注"


def test_shenzhen_means_its_districts_and_the_shenshan_cooperation_zone() -> None:
    assert P.shenzhen_districts == (
        "福田区",
        "罗湖区",
        "南山区",
        "盐田区",
        "宝安区",
        "龙岗区",
        "龙华区",
        "坪山区",
        "光明区",
        "大鹏新区",
        "深汕特别合作区",
    )
    assert "在深圳市（含深汕特别合作区，下同）依法经营" in P.sources["shenzhen_districts"].text


def test_parameters_the_guide_does_not_state_are_marked_as_assumptions_with_a_reason() -> None:
    assert {n for n, s in P.sources.items() if s.assumed} == ASSUMED
    for name in ASSUMED:
        assert P.sources[name].text.startswith("Assumption:")
        assert len(P.sources[name].text) > 80
    assert (P.guide_published_on, P.public_notice_working_days) == (date(2026, 4, 30), 5)
    assert (P.processing_warning_working_days, P.related_party_threshold_pct) == (50, Decimal(20))
    assert P.related_party_max_hops == 4
    assert P.voucher_rounding == "down to 0.01 on the application total"
    assert P.clause("voucher_rounding") == "三(一)2"


def guide_clauses() -> dict[int, str]:
    """Map each line of the guide to the clause it sits in: 三(一)2, 三(二)注, 七(二), 十…"""
    section = part = item = ""
    clauses: dict[int, str] = {}
    heading = re.compile(r"^(十[一二三四]?|[一二三四五六七八九]|4)、")
    for n, raw in enumerate(GUIDE.splitlines()):
        line = raw.strip()
        if line.replace(" ", "") == "声明":
            section, part, item = "声明", "", ""
        elif m := heading.match(line):
            number = "四" if m.group(1) == "4" else m.group(1)
            section, part, item = (f"声明{number}" if section.startswith("声明") else number), "", ""
        elif m := re.match(r"^（([一二三四五六七八九十]+)）", line):
            part, item = f"({m.group(1)})", ""
        elif m := re.match(r"^(\d+)\.", line):
            item = m.group(1)
        elif line.startswith("注："):
            item = "注"
        clauses[n] = section + part + item
    return clauses


@pytest.mark.parametrize("name", sorted(set(PARAMETER_NAMES) - ASSUMED))
def test_every_quoted_text_occurs_verbatim_in_the_guide_under_its_clause(name: str) -> None:
    source = P.sources[name]
    lines = GUIDE.splitlines()
    found = [n for n, line in enumerate(lines) if source.text in line]
    assert found, f"{name}: text not found verbatim in the guide"
    clauses = guide_clauses()
    assert source.clause in {clauses[n] for n in found}


def test_the_filing_window_includes_both_of_its_ends() -> None:
    assert P.filing_window_contains(datetime(2026, 5, 6, 0, 0, tzinfo=CST))
    assert P.filing_window_contains(datetime(2026, 6, 5, 18, 0, tzinfo=CST))
    assert P.filing_window_contains(datetime(2026, 6, 5, 10, 0, tzinfo=UTC))
    assert not P.filing_window_contains(datetime(2026, 5, 5, 23, 59, 59, tzinfo=CST))
    assert not P.filing_window_contains(datetime(2026, 6, 5, 18, 0, 1, tzinfo=CST))
    with pytest.raises(ValueError, match="timezone-aware"):
        P.filing_window_contains(datetime(2026, 5, 20, 10, 0))


def test_a_date_window_includes_both_of_its_ends() -> None:
    window = P.provider_batch_windows[2]
    assert window.contains(date(2025, 4, 7))
    assert window.contains(date(2026, 12, 31))
    assert not window.contains(date(2025, 4, 6))
    assert not window.contains(date(2027, 1, 1))


def test_an_unknown_parameter_has_no_clause() -> None:
    with pytest.raises(KeyError, match="max_grant"):
        P.clause("max_grant")


# --- choosing the file -------------------------------------------------------------------------


@pytest.mark.parametrize("selector", [None, 2026, "2026", " 2026 "])
def test_a_year_selects_the_packaged_file(selector: str | int | None) -> None:
    params = load_program(selector)
    assert params.program_year == 2026
    assert params.source_file == "programs/2026.yaml"


def test_the_2026_file_ships_inside_the_package() -> None:
    assert PACKAGED.is_file()
    assert packaged_years() == (2026,)


def test_a_path_selects_that_file(tmp_path: Path) -> None:
    path = tmp_path / "program.yaml"
    path.write_text(PACKAGED.read_text("utf-8"), "utf-8")
    assert load_program(str(path)) == load_program(2026).model_copy(update={"source_file": str(path)})


def test_a_year_without_a_file_is_refused_naming_the_file() -> None:
    with pytest.raises(ProgramFileError, match=r"programs/2031\.yaml"):
        load_program(2031)


def test_a_missing_path_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ProgramFileError, match=r"nowhere\.yaml"):
        load_program(str(tmp_path / "nowhere.yaml"))


def test_every_parameter_in_the_file_is_a_field_and_every_field_is_in_the_file() -> None:
    fields = set(ProgramParams.model_fields) - {"sources", "source_file"}
    assert set(PARAMETER_NAMES) == fields
    assert set(yaml.safe_load(PACKAGED.read_text("utf-8"))) == fields


# --- broken files --------------------------------------------------------------------------------

Doc = dict[str, Any]


def set_value(key: str, value: object) -> Callable[[Doc], None]:
    return lambda doc: doc[key].__setitem__("value", value)


def set_field(key: str, field: str, value: object) -> Callable[[Doc], None]:
    return lambda doc: doc[key].__setitem__(field, value)


def drop(key: str, field: str | None = None) -> Callable[[Doc], None]:
    return lambda doc: doc.pop(key) if field is None else doc[key].pop(field)


def window(batch: int, opens: str, closes: str) -> Callable[[Doc], None]:
    return lambda doc: doc["provider_batch_windows"]["value"].__setitem__(
        batch, {"opens": opens, "closes": closes}
    )


BROKEN: list[tuple[str, Callable[[Doc], None], str]] = [
    (
        "unknown parameter",
        lambda doc: doc.__setitem__("max_grant_cny", doc["annual_cap_cny"]),
        "max_grant_cny",
    ),
    ("missing parameter", drop("annual_cap_cny"), "annual_cap_cny"),
    ("missing clause", drop("standard_rate", "clause"), "standard_rate.clause"),
    ("empty clause", set_field("standard_rate", "clause", ""), "standard_rate.clause"),
    ("blank clause", set_field("min_annual_spend_cny", "clause", "  "), "min_annual_spend_cny.clause"),
    ("missing text", drop("annual_cap_cny", "text"), "annual_cap_cny.text"),
    ("missing value", drop("annual_cap_cny", "value"), "annual_cap_cny.value"),
    ("unknown entry key", set_field("annual_cap_cny", "source", "x"), "annual_cap_cny.source"),
    ("assumed not a bool", set_field("guide_published_on", "assumed", "yes"), "guide_published_on.assumed"),
    ("money as a YAML float", set_value("min_annual_spend_cny", 500000.0), "min_annual_spend_cny"),
    ("money as a YAML int", set_value("annual_cap_cny", 10000000), "annual_cap_cny"),
    ("money with three places", set_value("annual_cap_cny", "10000000.001"), "annual_cap_cny"),
    ("rate as a YAML float", set_value("standard_rate", 0.5), "standard_rate"),
    ("rate above one", set_value("young_enterprise_rate", "1.5"), "young_enterprise_rate"),
    ("day that does not exist", set_value("guide_published_on", "2026-02-30"), "guide_published_on"),
    ("date in another format", set_value("guide_published_on", "30/04/2026"), "guide_published_on"),
    ("window closing before it opens", window(2, "2025-04-07", "2025-01-01"), "provider_batch_windows"),
    ("window with a bad date", window(3, "2025-11-31", "2026-12-31"), "provider_batch_windows"),
    (
        "filing closing before it opens",
        set_value("filing_closes_at", "2026-05-01T18:00:00+08:00"),
        "filing_closes_at",
    ),
    ("instant without a UTC offset", set_value("filing_opens_at", "2026-05-06T00:00:00"), "filing_opens_at"),
    (
        "a rounding the rule book does not apply",
        set_value("voucher_rounding", "per contract"),
        "voucher_rounding",
    ),
    ("count as a string", set_value("processing_limit_working_days", "60"), "processing_limit_working_days"),
    ("count as a bool", set_value("related_party_max_hops", True), "related_party_max_hops"),
    (
        "warning after the limit",
        set_value("processing_warning_working_days", 61),
        "processing_warning_working_days",
    ),
    ("no districts", set_value("shenzhen_districts", []), "shenzhen_districts"),
    ("a district twice", set_value("shenzhen_districts", ["南山区", "南山区"]), "shenzhen_districts"),
    ("a fiscal year that is no year", set_value("audit_fiscal_years", [2025, "last"]), "audit_fiscal_years"),
    ("entry that is not a mapping", lambda doc: doc.__setitem__("standard_rate", "0.50"), "standard_rate"),
]


@pytest.mark.parametrize(("problem", "breaks", "key"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_parameters_file_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, problem: str, breaks: Callable[[Doc], None], key: str
) -> None:
    doc = yaml.safe_load(PACKAGED.read_text("utf-8"))
    breaks(doc)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    with pytest.raises(ProgramFileError) as refused:
        load_program(str(path))
    assert (refused.value.file, refused.value.key) == (str(path), key)
    assert str(path) in str(refused.value)
    assert key in str(refused.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- just\n- a list\n", "mapping"),
        ("standard_rate: [unclosed\n", "not valid YAML"),
        (
            "standard_rate: {value: '0.50', clause: x, text: y}\n"
            "standard_rate: {value: '0.50', clause: x, text: y}\n",
            "key given twice: standard_rate",
        ),
    ],
)
def test_a_file_that_is_no_parameters_document_is_refused_naming_the_file(
    tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ProgramFileError, match=re.escape(words)) as refused:
        load_program(str(path))
    assert str(path) in str(refused.value)
