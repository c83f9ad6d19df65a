"""Loading the sample reference data into a running suite and waiting until it has landed."""

from __future__ import annotations

from tests.support.samples import refdata
from tests.support.suite import Suite, wait_for


def load_sample_refdata(suite: Suite) -> dict[str, str]:
    """POST every sample kind to intake; returns the versions once every service stored them."""
    versions = {}
    with suite.client("intake") as client:
        for kind, items in refdata().items():
            response = client.post(f"/v1/refdata/{kind}", json=items)
            assert response.status_code == 202, response.text
            versions[kind] = response.json()["version"]
    wait_for_versions(suite, versions)
    return versions


def wait_for_versions(suite: Suite, versions: dict[str, str]) -> None:
    store = suite.store()

    def landed() -> bool:
        elig = {d["_id"]: d["version"] for d in store["vouchers_eligibility"]["refdata"].find()}
        ver = {d["_id"]: d["version"] for d in store["vouchers_verification"]["refdata"].find()}
        return all(
            (ver if kind == "audit_reports" else elig).get(kind) == version
            for kind, version in versions.items()
        )

    wait_for("reference data in the services' stores", landed, timeout=60)
