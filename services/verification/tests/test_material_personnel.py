"""MAT-PERSONNEL 五(五): the project lead and two key members, certified and full time in Shenzhen."""

from __future__ import annotations

from verification.domain.model import QrAnswer
from verification.domain.verify import verify
from verification_testkit import PARAMS_2026, AppBuilder, staff
from vouchers_shared.findings import Finding

LEAD = "lead-approvable"


def personnel_of(builder: AppBuilder) -> Finding:
    result = verify(
        builder.build(),
        qr_answers={"CPA-2025-5K00010T": QrAnswer.REGISTERED},
        params=PARAMS_2026,
    )
    [finding] = result.of_rule("MAT-PERSONNEL")
    return finding


def team(builder: AppBuilder, *members: dict[str, object], covered: list[str]) -> AppBuilder:
    builder.project(members=list(members))
    return builder.change("personnel_certificates", person_ids=covered)


def test_a_lead_and_two_certified_full_time_members_pass() -> None:
    f = personnel_of(AppBuilder.example())

    assert (f.result, f.clause, f.observed) == ("pass", "五(五)", "lead=ok, members ok=2/2")


def test_a_team_with_only_one_key_member_fails() -> None:
    builder = team(AppBuilder.example(), staff("m1"), covered=[LEAD, "m1"])

    f = personnel_of(builder)

    assert f.result == "fail"
    assert "少于 2 名" in f.message
    assert f.observed == "lead=ok, members ok=1/1"


def test_a_team_with_no_key_members_fails() -> None:
    assert personnel_of(team(AppBuilder.example(), covered=[LEAD])).result == "fail"


def test_a_member_not_working_full_time_in_shenzhen_does_not_count() -> None:
    builder = team(
        AppBuilder.example(), staff("m1"), staff("m2", full_time=False), covered=[LEAD, "m1", "m2"]
    )

    f = personnel_of(builder)

    assert f.result == "fail"
    assert "m2" in f.message_en
    assert "not full time in Shenzhen" in f.message_en


def test_a_member_without_a_certificate_does_not_count() -> None:
    builder = team(AppBuilder.example(), staff("m1"), staff("m2"), covered=[LEAD, "m1"])

    f = personnel_of(builder)

    assert f.result == "fail"
    assert "m2：缺少学位或职称证书" in f.message


def test_three_members_of_whom_two_qualify_pass() -> None:
    builder = team(
        AppBuilder.example(),
        staff("m1"),
        staff("m2", full_time=False),
        staff("m3"),
        covered=[LEAD, "m1", "m2", "m3"],
    )

    assert personnel_of(builder).result == "pass"


def test_a_lead_without_a_certificate_fails_even_with_two_good_members() -> None:
    builder = AppBuilder.example().change(
        "personnel_certificates", person_ids=["m1-approvable", "m2-approvable"]
    )

    f = personnel_of(builder)

    assert f.result == "fail"
    assert "项目负责人" in f.message


def test_a_lead_not_working_full_time_in_shenzhen_fails() -> None:
    builder = AppBuilder.example()
    builder.data["project"]["lead"]["full_time_in_shenzhen"] = False

    assert personnel_of(builder).result == "fail"


def test_the_lead_listed_again_as_a_member_is_not_one_of_the_two() -> None:
    builder = team(AppBuilder.example(), staff(LEAD), staff("m1"), covered=[LEAD, "m1"])

    assert personnel_of(builder).result == "fail"


def test_certificates_spread_over_several_documents_count_together() -> None:
    builder = (
        AppBuilder.example()
        .change("personnel_certificates", person_ids=[LEAD])
        .with_material("personnel_certificates", person_ids=["m1-approvable"])
        .with_material("personnel_certificates", person_ids=["m2-approvable"])
    )

    assert personnel_of(builder).result == "pass"


def test_no_personnel_certificates_at_all_fails() -> None:
    f = personnel_of(AppBuilder.example().without("personnel_certificates"))

    assert (f.result, f.observed) == ("fail", "lead=missing, members ok=0/2")
