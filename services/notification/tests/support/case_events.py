"""Case events for the case consumer's tests: an application's submission and verdicts as the
consumer receives them, and a service on the in-memory store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from notification.adapters.kept_cases import KeptCases
from notification.adapters.mongo_store import DATABASE, NotificationStore
from notification.handlers import Deps
from notification_testkit import OPENED, USCC, at, finding, sample_application
from pydantic import BaseModel
from vouchers_shared import topics
from vouchers_shared.events import (
    ApplicationSubmitted,
    CoiAssessed,
    EligibilityAssessed,
    VerificationCompleted,
)
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.testing.memory_mongo import MemoryMongo

COLLECTIONS = ("cases", "case_index", "letters", "letters_due", "verdict_findings")


class Recorder:
    def __init__(self) -> None:
        self.published: list[Outgoing] = []

    async def publish(self, event: Outgoing) -> None:
        self.published.append(event)


class Clock:
    def now(self) -> Any:
        return at(60)

    def today(self) -> Any:
        return at(60).date()


def service(
    ferretdb: bool, mongo: MemoryMongo | None = None, kept: KeptCases | None = None
) -> tuple[Deps, MemoryMongo, Recorder]:
    """A case consumer's dependencies; on `mongo` to share a store with another process."""
    mongo, publisher = mongo or MemoryMongo(ferretdb=ferretdb), Recorder()
    store = NotificationStore(mongo.as_client(), kept=kept)
    return Deps(store, Clock(), timedelta(hours=6), publisher), mongo, publisher  # type: ignore[arg-type]


def inbound(
    application_id: str, event_type: str, payload: BaseModel, minutes: int, partition: int = 0
) -> Inbound:
    event_id = f"{application_id}-{minutes}"
    envelope = Envelope.new(event_type, "/tests", application_id, time=at(minutes), id_=event_id)
    body = payload.model_dump_json().encode()
    return Inbound("t", partition, minutes, USCC, envelope.headers(), body, envelope)


def events_of(application_id: str, eligibility: str, start: int) -> list[Inbound]:
    """An application's submission and its three verdicts; eligibility's is `eligibility`."""
    ids = {"application_id": application_id, "applicant_uscc": USCC}
    found = [finding("AMT-RATE"), *([finding("ELIG-LOCATION", "fail")] if eligibility == "fail" else [])]
    payloads: list[tuple[str, BaseModel]] = [
        (
            topics.APPLICATION_SUBMITTED,
            ApplicationSubmitted(**ids, submitted_at=OPENED, application=sample_application()),
        ),
        (
            topics.COI_ASSESSED,
            CoiAssessed(**ids, outcome="clear", contracts=[], findings=[], assessed_at=at(1)),
        ),
        (
            topics.ELIGIBILITY_ASSESSED,
            EligibilityAssessed(**ids, outcome=eligibility, findings=found, assessed_at=at(2)),
        ),
        (
            topics.VERIFICATION_COMPLETED,
            VerificationCompleted(**ids, outcome="verified", findings=[], completed_at=at(3)),
        ),
    ]
    return [inbound(application_id, kind, body, start + n) for n, (kind, body) in enumerate(payloads)]


def batch() -> list[Inbound]:
    """A rejected application, one left waiting for verification, and one only submitted."""
    rejected, waiting = events_of("APP-1", "fail", 0), events_of("APP-2", "fail", 10)[:3]
    return [*rejected[:2], *waiting, *rejected[2:], events_of("APP-3", "pass", 20)[0]]


def docs(mongo: MemoryMongo, name: str) -> dict[Any, Any]:
    found: dict[Any, Any] = mongo[DATABASE][name].docs  # type: ignore[attr-defined]
    return found


def unrevised(found: dict[Any, Any]) -> dict[Any, Any]:
    """The documents without their revision: a batch writes a case once, not once per event."""
    return {k: {f: v for f, v in d.items() if f != "revision"} for k, d in found.items()}
