"""One running suite shared by the end-to-end tests, on the program clock of the examples."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.infra import Infra
from tests.support.samples import refdata
from tests.support.suite import Suite, run_suite, wait_for

DEMO_CLOCK = "2026-05-20T10:00:00+08:00"


@pytest.fixture(scope="session")
def suite(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    workdir: Path = tmp_path_factory.mktemp("suite")
    with run_suite(infra, workdir, DEMO_CLOCK) as running:
        load_sample_refdata(running)
        yield running


def load_sample_refdata(suite: Suite) -> None:
    versions = {}
    with suite.client("intake") as client:
        for kind, items in refdata().items():
            response = client.post(f"/v1/refdata/{kind}", json=items)
            assert response.status_code == 202, response.text
            versions[kind] = response.json()["version"]
    store = suite.store()

    def landed() -> bool:
        elig = {d["_id"]: d["version"] for d in store["vouchers_eligibility"]["refdata"].find()}
        ver = {d["_id"]: d["version"] for d in store["vouchers_verification"]["refdata"].find()}
        return (all(elig.get(k) == versions[k] for k in versions if k != "audit_reports")
                and ver.get("audit_reports") == versions["audit_reports"])

    wait_for("reference data in the services' stores", landed, timeout=60)
