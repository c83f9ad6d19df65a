"""A letter goes through each channel once: a failed channel is retried later, alone, with backoff."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from notification import letter_sender
from notification.domain.letters import Attempt, Letter, RoundEnd, render_approval
from notification.errors import ChannelError
from notification.letter_sender import RetryPolicy, letter_document, send_due

START = datetime(2026, 5, 27, 2, 0, tzinfo=UTC)


class FakeLetters:
    """The letters collection in memory, with the same lease rules as the store."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.releases: list[list[str]] = []  # the letters of each release, in order

    def add(self, letter: Letter, at: datetime = START) -> str:
        letter_id = f"{letter.kind}:{letter.decision_id}"
        self.docs[letter_id] = letter_document(letter, letter_id, at)
        return letter_id

    async def due_letters(self, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
        due = [d for d in self.docs.values() if not d["sent"] and d["next_attempt_at"] <= now]
        return [dict(d) for d in due[:limit]]

    async def claim_letters(
        self, letter_ids: Sequence[str], token: str, now: datetime, until: datetime
    ) -> list[dict[str, Any]]:
        claimed = []
        for letter_id in letter_ids:
            doc = self.docs[letter_id]
            if doc["sent"] or (doc["claim"] is not None and doc["claim"]["until"] >= now):
                continue
            doc["claim"] = {"token": token, "until": until, "slots": [0, 1]}
            claimed.append(dict(doc))
        return claimed

    def _held(self, letter_id: str, token: str) -> dict[str, Any] | None:
        doc = self.docs[letter_id]
        return doc if doc["claim"] is not None and doc["claim"]["token"] == token else None

    async def record_attempt(self, letter_id: str, token: str, attempt: Attempt) -> None:
        doc = self._held(letter_id, token)
        if doc is not None:
            doc["attempts"].append(attempt.entry)
            via = attempt.delivered_via
            if via is not None and via not in doc["channels_done"]:
                doc["channels_done"].append(via)

    async def release_letters(self, token: str, slots: Sequence[int], ends: Sequence[RoundEnd]) -> None:
        self.releases.append([e.letter_id for e in ends])
        for end in ends:
            if end.last is not None:
                await self.record_attempt(end.letter_id, token, end.last)
            doc = self._held(end.letter_id, token)
            if doc is not None:
                doc.update(end.fields, claim=None)


class Channel:
    """A channel that fails its first `failures` sends, then keeps what it is given."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ChannelError("mail server away")
        self.delivered: list[str] = []

    async def send(self, letter: Letter) -> None:
        if self.failures:
            self.failures -= 1
            raise self.error
        self.delivered.append(letter.decision_id)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """Wall-clock time standing still until the test moves it."""
    now = [START]
    monkeypatch.setattr(letter_sender, "wall_clock", lambda: now[0])
    return now


def approval(decision_id: str = "dec-1") -> Letter:
    return render_approval(
        decision_id=decision_id,
        application_id="APP-1",
        applicant_name="深圳市甲公司",
        project_title="大模型训练",
        amount_cny=Decimal("600000.00"),
        granted_on=date(2026, 5, 27),
        to="a@example.cn",
    )


POLICY = RetryPolicy(first_s=1.0, max_s=8.0)


async def test_a_letter_goes_through_every_channel_once(clock: list[datetime]) -> None:
    store, smtp, webhook = FakeLetters(), Channel(), Channel()
    letter_id = store.add(approval())
    assert await send_due(store, {"smtp": smtp, "webhook": webhook}, POLICY) == 1
    assert await send_due(store, {"smtp": smtp, "webhook": webhook}, POLICY) == 0
    assert smtp.delivered == webhook.delivered == ["dec-1"]
    doc = store.docs[letter_id]
    assert doc["sent"]
    assert doc["channels_done"] == ["smtp", "webhook"]
    assert [(a["channel"], a["outcome"]) for a in doc["attempts"]] == [("smtp", "sent"), ("webhook", "sent")]


async def test_a_failed_channel_is_retried_after_the_backoff_and_the_other_is_not_repeated(
    clock: list[datetime],
) -> None:
    store, smtp, webhook = FakeLetters(), Channel(failures=2), Channel()
    channels = {"smtp": smtp, "webhook": webhook}
    letter_id = store.add(approval())
    await send_due(store, channels, POLICY)
    assert store.docs[letter_id]["next_attempt_at"] == START + timedelta(seconds=1)
    assert await send_due(store, channels, POLICY) == 0  # not due yet: nothing is tried
    clock[0] += timedelta(seconds=1)
    await send_due(store, channels, POLICY)  # fails again: the wait doubles
    assert store.docs[letter_id]["next_attempt_at"] == clock[0] + timedelta(seconds=2)
    clock[0] += timedelta(seconds=2)
    assert await send_due(store, channels, POLICY) == 1
    doc = store.docs[letter_id]
    assert smtp.delivered == webhook.delivered == ["dec-1"]
    assert [(a["channel"], a["outcome"]) for a in doc["attempts"]] == [
        ("smtp", "failed"),
        ("webhook", "sent"),
        ("smtp", "failed"),
        ("smtp", "sent"),
    ]
    assert doc["failed_rounds"] == 2


async def test_an_unexpected_error_in_a_channel_is_logged_as_a_failed_attempt(clock: list[datetime]) -> None:
    store = FakeLetters()
    letter_id = store.add(approval())
    await send_due(store, {"smtp": Channel(failures=1, error=ValueError("bad address"))}, POLICY)
    doc = store.docs[letter_id]
    assert not doc["sent"]
    assert doc["attempts"][0]["outcome"] == "failed"
    assert "bad address" in doc["attempts"][0]["error"]


async def test_a_letter_another_sender_holds_is_left_alone_until_its_lease_ends(
    clock: list[datetime],
) -> None:
    store, smtp = FakeLetters(), Channel()
    letter_id = store.add(approval())
    store.docs[letter_id]["claim"] = {"token": "other", "until": START + timedelta(seconds=120)}
    assert await send_due(store, {"smtp": smtp}, POLICY) == 0
    assert smtp.delivered == []
    clock[0] += timedelta(seconds=121)  # the other sender died with the lease
    assert await send_due(store, {"smtp": smtp}, POLICY) == 1
    assert smtp.delivered == ["dec-1"]


def test_the_wait_between_sends_doubles_up_to_its_cap() -> None:
    delays = [RetryPolicy(first_s=2.0, max_s=300.0).delay(n).total_seconds() for n in range(1, 11)]
    assert delays == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


async def test_a_round_sends_every_due_letter_and_ends_them_all_in_one_release(clock: list[datetime]) -> None:
    store, smtp = FakeLetters(), Channel()
    ids = [store.add(approval(f"dec-{n}")) for n in range(20)]
    assert await send_due(store, {"smtp": smtp}, POLICY) == 20
    assert sorted(smtp.delivered) == sorted(f"dec-{n}" for n in range(20))
    assert [sorted(r) for r in store.releases] == [sorted(ids)]
    assert all(store.docs[i]["sent"] and store.docs[i]["claim"] is None for i in ids)


class SlowChannel(Channel):
    """Each send takes `seconds` of wall-clock time."""

    def __init__(self, clock: list[datetime], seconds: float) -> None:
        super().__init__()
        self.clock, self.seconds = clock, seconds

    async def send(self, letter: Letter) -> None:
        self.clock[0] += timedelta(seconds=self.seconds)
        await super().send(letter)


async def test_a_letter_whose_lease_would_run_out_before_its_turn_waits_for_the_next_round_untried(
    clock: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(letter_sender, "SENDS_AT_ONCE", 1)
    store, slow = FakeLetters(), SlowChannel(clock, seconds=40.0)  # the lease is 120 s
    ids = [store.add(approval(f"dec-{n}")) for n in range(4)]
    assert await send_due(store, {"smtp": slow}, POLICY) == 3  # the fourth's turn comes at 120 s
    untried = [store.docs[i] for i in ids if not store.docs[i]["sent"]]
    assert len(untried) == 1
    assert untried[0]["attempts"] == []
    assert untried[0]["failed_rounds"] == 0
    assert untried[0]["claim"] is None
    assert untried[0]["next_attempt_at"] == START
    assert await send_due(store, {"smtp": slow}, POLICY) == 1
    assert sorted(slow.delivered) == [f"dec-{n}" for n in range(4)]


class FailingStore(FakeLetters):
    """A store that goes away when one letter's delivered channel is put on record."""

    def __init__(self, failing: str) -> None:
        super().__init__()
        self.failing = failing

    async def record_attempt(self, letter_id: str, token: str, attempt: Attempt) -> None:
        if letter_id == self.failing:
            raise ConnectionError("store away")
        await super().record_attempt(letter_id, token, attempt)


async def test_a_round_the_store_fails_in_still_ends_the_letters_it_finished(clock: list[datetime]) -> None:
    first = approval("dec-0")
    store = FailingStore(failing=f"{first.kind}:{first.decision_id}")
    ids = [store.add(first), store.add(approval("dec-1"))]
    with pytest.raises(ConnectionError):
        await send_due(store, {"smtp": Channel(), "webhook": Channel()}, POLICY)
    assert store.docs[ids[1]]["sent"]
    assert store.docs[ids[1]]["claim"] is None
    assert not store.docs[ids[0]]["sent"]
    assert store.docs[ids[0]]["claim"] is not None  # held until its lease runs out


async def test_full_rounds_follow_each_other_while_the_caller_lets_them(clock: list[datetime]) -> None:
    store, smtp = FakeLetters(), Channel()
    for n in range(120):
        store.add(approval(f"dec-{n}"))
    assert await send_due(store, {"smtp": smtp}, POLICY, go_on=lambda: False) == 50
    assert await send_due(store, {"smtp": smtp}, POLICY) == 70  # a full round, then the rest
    assert [len(r) for r in store.releases] == [50, 50, 20]
    assert len(set(smtp.delivered)) == 120


async def test_rounds_stop_when_one_takes_less_than_a_full_round(clock: list[datetime]) -> None:
    store, smtp = FakeLetters(), Channel()
    ids = [store.add(approval(f"dec-{n}")) for n in range(60)]
    for letter_id in ids[:15]:  # another sender holds these
        store.docs[letter_id]["claim"] = {"token": "other", "until": START + timedelta(seconds=120)}
    assert await send_due(store, {"smtp": smtp}, POLICY) == 35
    assert [len(r) for r in store.releases] == [35]
