"""What each service publishes, registered on its broker so the AsyncAPI document shows it.

Publishing itself goes through `KafkaPublisher` (raw bytes and CloudEvents headers); the
publishers registered here are never called. They give FastStream's specification a `send`
operation per topic a service writes to, dead-letter topics included. The payloads of every
event topic, consumed or published, are filled in from the event contracts
(`vouchers_shared.schemas`) by `vouchers_shared.observability.docs`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from faststream.kafka import KafkaBroker

from vouchers_shared import topics
from vouchers_shared.schemas import EventContract, contracts

PUBLISHED_EVENTS: dict[str, tuple[str, ...]] = {
    "intake": (topics.APPLICATION_SUBMITTED, topics.REFDATA_LOADED),
    "eligibility": (topics.COI_ASSESSED, topics.ELIGIBILITY_ASSESSED),
    "verification": (topics.VERIFICATION_COMPLETED,),
    "notification": (
        topics.CASE_DECIDED,
        topics.REVIEW_PASSED,
        topics.VOUCHER_APPROVED,
        topics.NOTICE_PUBLISHED,
        topics.OBJECTION_RAISED,
        topics.OBJECTION_RESOLVED,
    ),
}


def contracts_on(topic: str) -> list[EventContract]:
    """The event contracts that travel on `topic`, in contract order."""
    return [c for c in contracts() if topic in c.topics]


def published_topics(service: str) -> dict[str, list[EventContract]]:
    """Topic -> the contracts `service` publishes there."""
    wanted = PUBLISHED_EVENTS.get(service, ())
    by_topic: dict[str, list[EventContract]] = {}
    for contract in contracts():
        if contract.event_type in wanted:
            for topic in contract.topics:
                by_topic.setdefault(topic, []).append(contract)
    return by_topic


def _schema(on_topic: list[EventContract]) -> Any:
    models = tuple(c.model for c in on_topic)
    if len(models) == 1:
        return models[0]
    union: Any = models[0]
    for model in models[1:]:
        union = union | model
    return union


def document_publishers(broker: KafkaBroker, service: str) -> None:
    """A documented (never called) publisher per topic `service` publishes events on."""
    for topic, on_topic in published_topics(service).items():
        types = ", ".join(c.event_type for c in on_topic)
        broker.publisher(
            topic,
            title=f"{service}:{topic}",
            include_in_schema=True,
            schema=_schema(on_topic),
            description=f"{types}: CloudEvents in Kafka binary mode, keyed by applicant USCC",
        )


def document_dead_letters(broker: KafkaBroker, owner: str, subscribed: Iterable[str]) -> None:
    """A documented publisher for the dead-letter topic of each subscribed topic."""
    existing = {getattr(p, "topic", None) for p in broker.publishers}
    for topic in subscribed:
        dlq = topics.dlq_topic(topic)
        if dlq in existing:
            continue
        existing.add(dlq)
        broker.publisher(
            dlq,
            title=f"{owner}:{dlq}",
            include_in_schema=True,
            schema=bytes,
            description=(
                f"Records of {topic} that can never be processed: the original key, "
                "headers and bytes, with dlq_id, dlq_error, dlq_error_class, "
                "dlq_attempts, dlq_original_topic, dlq_service and dlq_at headers"
            ),
        )
