"""The handlers around an unanswering CPA platform: pending, asked again with backoff, then review."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from verification.app import audit_registry
from verification.domain.model import ConsentRecord
from verification.errors import PlatformUnavailable
from verification.handlers import Deps, RetrySettings, on_submitted, recheck_due
from verification_testkit import OTHER_ENTERPRISE_USCC, PARAMS_2026, AppBuilder
from vouchers_shared import topics
from vouchers_shared.application import Application
from vouchers_shared.clock import SHANGHAI, FixedClock
from vouchers_shared.events import ApplicationSubmitted
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.refdata import Snapshot
from vouchers_shared.refdata_store import Derived

START = datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)
QR = "CPA-2025-5K00010T"
USCC = "91440305MA5K00010T"


class FakeStore:
    """Verification's documents in memory, with the queries the handlers use."""

    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.consents: dict[str, ConsentRecord] = {}

    async def case(self, application_id: str) -> dict[str, Any] | None:
        return self.cases.get(application_id)

    async def save_case(self, application_id: str, fields: dict[str, Any], *, settled: bool = False) -> None:
        self.cases.setdefault(application_id, {"_id": application_id}).update(fields)

    async def due(self, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
        return [dict(d) for d in self.cases.values() if d.get("pending") and d["next_attempt_at"] <= now][
            :limit
        ]

    async def record(self, record: ConsentRecord) -> bool:
        key = f"{record.application_id}:{record.document_sha256}"
        if key in self.consents:
            return False
        self.consents[key] = record
        return True


class FakePublisher:
    def __init__(self) -> None:
        self.published: list[Outgoing] = []

    async def publish(self, event: Outgoing) -> None:
        self.published.append(event)

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        raise AssertionError("nothing is published raw here")


class Platform:
    """Never answers, except for the codes it was told; raises for the codes it chokes on."""

    def __init__(self, registered: set[str] | None = None, broken: set[str] | None = None) -> None:
        self.registered = registered or set()
        self.broken = broken or set()
        self.asked: list[str] = []

    async def is_registered(self, qr_code: str, uscc: str, fiscal_year: int) -> bool:
        self.asked.append(qr_code)
        if qr_code in self.broken:
            raise RuntimeError("the platform client choked")
        if qr_code in self.registered:
            return True
        raise PlatformUnavailable("no answer")


def deps(platform: Platform, clock: FixedClock, max_attempts: int = 3) -> tuple[Deps, FakeStore]:
    store = FakeStore()

    async def current() -> Platform:
        return platform

    retry = RetrySettings(max_attempts=max_attempts, base_delay_s=30.0, cap_s=900.0)
    return Deps(store, current, PARAMS_2026, clock, retry), store  # type: ignore[arg-type]


def submitted(application: Application, application_id: str) -> Inbound:
    event = ApplicationSubmitted(
        application_id=application_id,
        applicant_uscc=application.applicant.uscc,
        submitted_at=START,
        application=application,
    )
    envelope = Envelope.new(topics.APPLICATION_SUBMITTED, "/vouchers/intake", application_id, time=START)
    return Inbound(
        topics.APPLICATIONS,
        0,
        0,
        application.applicant.uscc,
        envelope.headers(),
        event.model_dump_json().encode(),
        envelope,
    )


def qr_result(event: Outgoing) -> str:
    payload: Any = event.payload
    (finding,) = [f for f in payload.findings if f.rule == "MAT-AUDIT-QR"]
    return str(finding.result)


async def test_an_unanswered_code_is_pending_then_asked_again_with_backoff_then_review() -> None:
    clock = FixedClock(START)
    platform = Platform()
    d, store = deps(platform, clock, max_attempts=3)
    publisher = FakePublisher()

    (first,) = await on_submitted(submitted(AppBuilder.example().build(), "app-1"), d)
    assert first.payload.outcome == "pending"  # type: ignore[union-attr]

    clock.at = START + timedelta(seconds=29)
    await recheck_due(d, publisher)
    assert (platform.asked, publisher.published) == ([QR], [])  # not due yet
    clock.at = START + timedelta(seconds=30)
    await recheck_due(d, publisher)
    assert (len(platform.asked), publisher.published) == (2, [])  # asked again, still no answer
    assert store.cases["app-1"]["next_attempt_at"] == clock.at + timedelta(seconds=60)
    clock.at += timedelta(seconds=60)
    await recheck_due(d, publisher)

    (last,) = publisher.published
    assert len(platform.asked) == 3
    assert last.payload.outcome == "review"  # type: ignore[union-attr]
    assert qr_result(last) == "review"
    assert store.cases["app-1"]["pending"] is False
    clock.at += timedelta(hours=1)
    await recheck_due(d, publisher)
    assert len(platform.asked) == 3  # given up: never asked again


async def test_with_a_single_attempt_the_first_unanswered_check_goes_to_review() -> None:
    platform = Platform()
    d, store = deps(platform, FixedClock(START), max_attempts=1)

    (verdict,) = await on_submitted(submitted(AppBuilder.example().build(), "app-1"), d)

    assert verdict.payload.outcome == "review"  # type: ignore[union-attr]
    assert qr_result(verdict) == "review"
    assert store.cases["app-1"]["pending"] is False


async def test_a_case_that_cannot_be_rechecked_does_not_hold_up_the_others() -> None:
    clock = FixedClock(START)
    other_qr = f"CPA-2025-{OTHER_ENTERPRISE_USCC}"
    platform = Platform()
    d, store = deps(platform, clock)
    await on_submitted(submitted(AppBuilder.example().build(), "app-1"), d)
    other = AppBuilder.example().applicant(uscc=OTHER_ENTERPRISE_USCC)
    other.change("audit_report", qr_code=other_qr)
    await on_submitted(submitted(other.build(), "app-2"), d)
    platform.broken, platform.registered = {QR}, {other_qr}
    publisher = FakePublisher()
    clock.at = START + timedelta(seconds=30)

    await recheck_due(d, publisher)

    (verdict,) = publisher.published
    assert (verdict.envelope.subject, verdict.payload.outcome) == ("app-2", "verified")  # type: ignore[union-attr]
    assert store.cases["app-1"]["pending"] is True
    assert store.cases["app-1"]["next_attempt_at"] == clock.at + timedelta(seconds=30)


async def test_a_redelivered_submission_gives_the_same_verdict_and_one_consent_record() -> None:
    d, store = deps(Platform(registered={QR}), FixedClock(START))
    inbound = submitted(AppBuilder.example().build(), "app-1")

    first = await on_submitted(inbound, d)
    again = await on_submitted(inbound, d)

    assert [e.envelope.id for e in again] == [e.envelope.id for e in first]
    assert [e.body() for e in again] == [e.body() for e in first]
    assert len(store.consents) == 1


async def test_a_stored_snapshot_registering_a_code_twice_holds_that_check_then_reviews_it() -> None:
    # A snapshot stored before such data was refused at loading: the registry is built from it
    # as the service builds it, the code it registers twice waits and goes to an operator.
    snapshot = Snapshot(
        kind="audit_reports",
        version="v-old",
        loaded_at=START,
        loaded_by="cli",
        items=[
            {"qr_code": QR, "uscc": USCC, "fiscal_year": 2025},
            {"qr_code": QR, "uscc": OTHER_ENTERPRISE_USCC, "fiscal_year": 2025},
        ],
    )
    clock = FixedClock(START)
    d, store = deps(Platform(), clock, max_attempts=3)
    registry = Derived(audit_registry)

    async def platform() -> Any:
        return registry.get({"audit_reports": snapshot})

    d.platform = platform
    publisher = FakePublisher()

    (first,) = await on_submitted(submitted(AppBuilder.example().build(), "app-1"), d)
    for _ in range(5):
        clock.at += timedelta(hours=1)
        await recheck_due(d, publisher)

    assert qr_result(first) == "pending"
    (last,) = publisher.published
    assert (last.payload.outcome, qr_result(last)) == ("review", "review")  # type: ignore[union-attr]
    assert store.cases["app-1"]["pending"] is False
