"""The worked examples of the guide, filed over HTTP, reach the outcome the guide gives them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.samples import sample, sample_names
from tests.support.suite import Suite, wait_for

FINAL = {"awaiting_notice", "rejected", "needs_review"}
pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def file(suite: Suite, name: str) -> str:
    application = sample(name)["application"]
    uscc = application["applicant"]["uscc"]
    with suite.client("intake", "submitter", uscc) as client:
        response = client.post("/v1/applications", json=application)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "received"
    return str(response.json()["application_id"])


def final_view(suite: Suite, application_id: str) -> dict[str, Any]:
    def read() -> dict[str, Any] | None:
        with suite.client("intake", "auditor") as client:
            view: dict[str, Any] = client.get(f"/v1/applications/{application_id}").json()
        return view if view.get("status") in FINAL else None

    return wait_for(f"a decision on {application_id}", read, timeout=90)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def filed(suite: Suite) -> dict[str, dict[str, Any]]:
    ids = {name: file(suite, name) for name in sample_names()}
    return {name: final_view(suite, app_id) for name, app_id in ids.items()}


@pytest.mark.parametrize("name", sample_names())
def test_each_worked_example_gets_the_status_the_guide_gives_it(
    filed: dict[str, dict[str, Any]], name: str
) -> None:
    expect = sample(name)["expect"]
    view = filed[name]
    assert view["status"] == expect["status"]


@pytest.mark.parametrize("name", sample_names())
def test_each_worked_example_fails_exactly_the_expected_rules(
    filed: dict[str, dict[str, Any]], name: str
) -> None:
    expect = sample(name)["expect"]
    failed = {
        f["rule"]
        for check in filed[name]["checks"].values()
        for f in check["findings"]
        if f["result"] == "fail"
    }
    assert failed == set(expect["failed_rules"])


@pytest.mark.parametrize("name", sample_names())
def test_each_approvable_example_carries_the_expected_voucher(
    filed: dict[str, dict[str, Any]], name: str
) -> None:
    expect = sample(name)["expect"]
    if expect["voucher_total_cny"] is None:
        return
    assert filed[name]["voucher"]["total_cny"] == expect["voucher_total_cny"]


def test_the_related_provider_evidence_names_the_common_holder(filed: dict[str, dict[str, Any]]) -> None:
    coi = filed["related-provider"]["checks"]["conflict_of_interest"]
    assert coi["outcome"] == "conflict"
    paths = [p for f in coi["findings"] for p in f["evidence"]]
    holder_edges = [e for p in paths for e in p["edges"] if e["source"] == "91440303MA5K000049"]
    assert {e["pct"] for e in holder_edges} >= {"35.00", "25.00"}


def test_rejected_examples_receive_a_rejection_letter_naming_their_rules(
    suite: Suite, filed: dict[str, dict[str, Any]]
) -> None:
    def letters_for(rule: str) -> list[str]:
        bodies = []
        for message in suite.mail.messages:
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    bodies.append(part.get_payload(decode=True).decode("utf-8"))  # type: ignore[union-attr]
        return [b for b in bodies if rule in b]

    wait_for(
        "rejection letters",
        lambda: letters_for("AMT-MIN-SPEND") and letters_for("MAT-AUDIT-CONSENT"),
        timeout=60,
    )
