"""The conflict-of-interest check follows the holdings snapshot loaded while it runs (issue 5)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.filing import add_refdata, application, file, findings_of, wait_check
from tests.support.samples import make_uscc
from tests.support.suite import Suite

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(300)]

APPLICANT = make_uscc(5_000_001)
HOLDER = make_uscc(5_000_002, region="440303")
PROVIDER = "91440304MA5K00001E"  # a batch-1 provider of the sample data


def holdings_version(suite: Suite) -> str:
    doc = suite.store()["vouchers_eligibility"]["refdata"].find_one({"_id": "holdings"})
    assert doc is not None, "no holdings snapshot in the eligibility service"
    return str(doc["version"])


def coi_of(view: dict[str, Any]) -> dict[str, Any]:
    check: dict[str, Any] = view["checks"]["conflict_of_interest"]
    return check


def file_one(suite: Suite, contract_no: str) -> str:
    app = application(APPLICANT, [(contract_no, "1200000.00")])
    assert app["contracts"][0]["provider_uscc"] == PROVIDER
    return file(suite, app)


def test_a_holdings_snapshot_loaded_in_flight_decides_the_next_verdicts(suite: Suite) -> None:
    before = holdings_version(suite)
    first = file_one(suite, "HT-COI-1")
    first_coi = coi_of(wait_check(suite, first, "conflict_of_interest"))
    assert first_coi["outcome"] == "clear"
    assert first_coi["refdata_versions"]["holdings"] == before

    # One application is filed just before the new snapshot is loaded, so it is still being
    # handled while the snapshot travels; the next one is filed once the services hold it.
    in_flight = file_one(suite, "HT-COI-2")
    loaded = add_refdata(
        suite,
        "holdings",
        [
            {"holder_id": HOLDER, "holder_kind": "company", "held_uscc": APPLICANT, "pct": "20.00"},
            {"holder_id": HOLDER, "holder_kind": "company", "held_uscc": PROVIDER, "pct": "20.00"},
        ],
    )
    after = file_one(suite, "HT-COI-3")

    assert loaded != before
    view = wait_check(suite, after, "conflict_of_interest")
    coi = coi_of(view)
    assert coi["outcome"] == "conflict"
    assert coi["refdata_versions"]["holdings"] == loaded
    (related,) = [f for f in coi["findings"] if f["rule"] == "COI-RELATED-PARTY"]
    assert related["result"] == "fail"
    edges = [e for path in related["evidence"] for e in path["edges"] if e["source"] == HOLDER]
    assert {(e["target"], e["pct"]) for e in edges} == {(APPLICANT, "20.00"), (PROVIDER, "20.00")}
    assert {e["origin"] for e in edges} == {f"refdata:holdings@{loaded}"}
    # The rule book used the same snapshot, and left the conflicting contract out.
    view = wait_check(suite, after, "eligibility")
    assert view["checks"]["eligibility"]["refdata_versions"]["holdings"] == loaded
    assert [f["result"] for f in findings_of(view, "eligibility", "COI-RELATED-PARTY")] == ["fail"]
    assert view["voucher"] is None

    # The application in flight was judged on one snapshot or the other, and says which.
    flight = coi_of(wait_check(suite, in_flight, "conflict_of_interest"))
    expected = {before: "clear", loaded: "conflict"}
    assert flight["refdata_versions"]["holdings"] in expected
    assert flight["outcome"] == expected[flight["refdata_versions"]["holdings"]]
