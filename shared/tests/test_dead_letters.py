"""A parked record's error header carries no personal data, and a dead-letter topic keeps its
records for the time the settings choose, not the broker's default."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from pydantic import ValidationError
from vouchers_shared import topics
from vouchers_shared.application import Application
from vouchers_shared.errors import PoisonMessage
from vouchers_shared.messaging.consumer import RecordProcessor
from vouchers_shared.messaging.envelope import Envelope
from vouchers_shared.messaging.inbound import Inbound
from vouchers_shared.messaging.kafka import topic_configs
from vouchers_shared.messaging.publisher import Outgoing
from vouchers_shared.messaging.retry import RetryPolicy
from vouchers_shared.settings import CommonSettings

NAME, MOBILE, EMAIL, ID = "司马测遥", "139-8765-4321", "sima@probe.example.cn", "11010519491231002X"


@dataclass
class Record:
    value: bytes
    headers: list[tuple[str, bytes]]
    topic: str = topics.APPLICATIONS
    partition: int = 0
    offset: int = 7
    key: bytes = b"91440305MA5K00010T"


@dataclass
class FakePublisher:
    sent: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def publish(self, event: Outgoing) -> None:
        raise AssertionError("nothing is published for a failing record")

    async def publish_raw(self, topic: str, key: str | None, body: bytes, headers: dict[str, str]) -> None:
        self.sent.append((topic, headers))


def invalid_application() -> Exception:
    try:
        contact = {"name": NAME, "email": EMAIL, "mobile": MOBILE}
        Application.model_validate(
            {"applicant": {"contact": contact}, "project": {"lead": {"person_id": ID, "name": NAME}}}
        )
    except ValidationError as exc:
        return exc
    raise AssertionError("the application should not validate")


FAILURES = {
    "a validation error quoting its input": invalid_application(),
    "poison naming a contact's e-mail and mobile": PoisonMessage(f"contact <{EMAIL}> {MOBILE} is unknown"),
    "a bug repeating a resident id": KeyError(f"no person {ID}"),
    "a bug repeating a mobile written with +86": ValueError("bad mobile +86 139 8765 4321"),
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
async def test_the_error_header_of_a_parked_record_is_masked(failure: Exception) -> None:
    publisher = FakePublisher()
    headers = Envelope.new(topics.APPLICATION_SUBMITTED, "/test", "A1", id_="evt-1").headers()
    record = Record(b'{"application_id": "A1"}', [(k, v.encode()) for k, v in headers.items()])

    async def handler(_inbound: Inbound) -> Sequence[Outgoing]:
        raise failure

    processor = RecordProcessor(publisher, "test", RetryPolicy(max_attempts=1))
    await processor.process(record, handler)

    ((topic, parked),) = publisher.sent
    assert topic == topics.dlq_topic(topics.APPLICATIONS)
    for secret in (NAME, EMAIL, MOBILE, "139 8765 4321", ID):
        assert secret not in parked["dlq_error"]
    assert parked["dlq_error_class"] == type(failure).__name__


@pytest.mark.parametrize("topic", [topics.dlq_topic(t) for t in topics.EVENT_TOPICS + topics.REFDATA_TOPICS])
def test_every_dead_letter_topic_is_created_with_the_chosen_retention(topic: str) -> None:
    assert topic in topics.ALL_TOPICS
    assert topic_configs(topic, CommonSettings())["retention.ms"] == str(240 * 3600 * 1000)
    assert topic_configs(topic, CommonSettings(kafka_dlq_retention_hours=72))["retention.ms"] == str(
        72 * 3600 * 1000
    )


@pytest.mark.parametrize("topic", topics.EVENT_TOPICS + topics.REFDATA_TOPICS)
def test_other_topics_keep_the_brokers_retention(topic: str) -> None:
    assert "retention.ms" not in topic_configs(topic, CommonSettings())


def test_the_retention_comes_from_the_environment_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_DLQ_RETENTION_HOURS", "48")
    assert CommonSettings().kafka_dlq_retention_hours == 48
    for refused in ("0", str(24 * 91)):
        monkeypatch.setenv("KAFKA_DLQ_RETENTION_HOURS", refused)
        with pytest.raises(ValidationError):
            CommonSettings()
