"""Filing applications over HTTP, reading them back, and adding to the loaded reference data."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx

from tests.support.refdata_loading import wait_for_versions
from tests.support.samples import application_for, refdata
from tests.support.suite import Suite, wait_for

# Reference data added by the tests of a session, per kind. Every load sends the sample data
# plus all of these, so a test never takes away what another one (or the samples) loaded.
_ADDED: dict[int, dict[str, list[dict[str, Any]]]] = {}


def add_refdata(suite: Suite, kind: str, items: Sequence[dict[str, Any]]) -> str:
    """Load `kind` again with `items` added; returns the version once the services hold it."""
    added = _ADDED.setdefault(id(suite), {}).setdefault(kind, [])
    added.extend(items)
    with suite.client("intake") as client:
        response = client.post(f"/v1/refdata/{kind}", json=[*refdata().get(kind, []), *added])
    assert response.status_code == 202, response.text
    version = str(response.json()["version"])
    wait_for_versions(suite, {kind: version})
    return version


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def qr_code_of(uscc: str) -> str:
    return f"CPA-2025-{uscc}"


def application(
    uscc: str, contracts: Sequence[tuple[str, str]] | None = None, qr_code: str | None = None
) -> dict[str, Any]:
    """The approvable sample filed by `uscc`, with its own contracts and audit QR code.

    `contracts` are (contract number, amount) pairs on the sample's first contract (a batch-1
    provider, training, dates inside the window); each gets its contract document.
    """
    app = application_for(uscc)
    if contracts is not None:
        base = app["contracts"][0]
        app["contracts"] = [{**base, "contract_no": no, "amount_cny": amount} for no, amount in contracts]
        app["materials"] = [m for m in app["materials"] if m["kind"] != "service_contract"] + [
            {"kind": "service_contract", "contract_no": no, "sha256": digest(f"{uscc}/{no}")}
            for no, _ in contracts
        ]
    for material in app["materials"]:
        if material["kind"] == "audit_report":
            material["qr_code"] = qr_code or qr_code_of(uscc)
    return app


def submitter(suite: Suite, uscc: str) -> httpx.Client:
    return suite.client("intake", "submitter", uscc)


def file(suite: Suite, app: dict[str, Any]) -> str:
    with submitter(suite, app["applicant"]["uscc"]) as client:
        return _post(client, app)


def _post(client: httpx.Client, app: dict[str, Any]) -> str:
    response = client.post("/v1/applications", json=app)
    assert response.status_code == 202, response.text
    return str(response.json()["application_id"])


def file_at_once(suite: Suite, apps: Sequence[dict[str, Any]]) -> list[str]:
    """File every application from its own thread, all released at the same moment."""
    clients = [submitter(suite, a["applicant"]["uscc"]) for a in apps]
    start = threading.Barrier(len(apps))

    def go(i: int) -> str:
        start.wait(timeout=30)
        return _post(clients[i], apps[i])

    try:
        with ThreadPoolExecutor(len(apps)) as pool:
            return list(pool.map(go, range(len(apps))))
    finally:
        for c in clients:
            c.close()


def view(suite: Suite, application_id: str) -> dict[str, Any]:
    with suite.client("intake", "auditor") as client:
        response = client.get(f"/v1/applications/{application_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def wait_view(
    suite: Suite, application_id: str, what: str, ready: Callable[[dict[str, Any]], bool], timeout: float = 90
) -> dict[str, Any]:
    """The application's view once `ready` holds for it."""

    last: list[dict[str, Any]] = []

    def probe() -> dict[str, Any] | None:
        current = view(suite, application_id)
        last[:] = [current]
        return current if ready(current) else None

    try:
        found: dict[str, Any] = wait_for(f"{what} of {application_id}", probe, timeout=timeout)
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; last seen: {_in_short(last[0]) if last else None}") from None
    return found


def _in_short(seen: dict[str, Any]) -> dict[str, Any]:
    """A view's status and the findings that did not pass, check by check: why it is where it is."""
    checks: dict[str, Any] = seen.get("checks") or {}
    short: dict[str, Any] = {"status": seen.get("status")}
    for name, check in checks.items():
        unpassed = [f.get("rule") for f in check.get("findings") or [] if not f.get("passed")]
        short[name] = (check.get("outcome"), unpassed)
    return short


def wait_check(suite: Suite, application_id: str, check: str, timeout: float = 90) -> dict[str, Any]:
    """The view once `check` has a verdict other than pending."""
    return wait_view(
        suite,
        application_id,
        f"a {check} verdict",
        lambda v: v["checks"][check]["outcome"] != "pending",
        timeout,
    )


def findings_of(view_: dict[str, Any], check: str, rule: str) -> list[dict[str, Any]]:
    return [f for f in view_["checks"][check]["findings"] if f["rule"] == rule]


def total(view_: dict[str, Any]) -> Decimal:
    voucher = view_.get("voucher")
    return Decimal(voucher["total_cny"]) if voucher else Decimal("0.00")
