"""Sending letters through every configured channel: never lost, each channel once per letter.

Each round takes the letters that are due together, each under a lease (so two replicas never
send the same letter at once), sends each through the channels it has not yet gone through (a
few letters at a time), logs every attempt with its outcome, and records a delivered channel
before it sends through the next one; each letter's last attempt is logged in the write that
ends the round, made for all of its letters together. A letter whose lease would run out before
its turn is not tried in the round. A letter with a failed channel is tried again after an
exponential backoff. Times here are wall-clock time, not the program clock: they schedule real
retries, and a restart with another program clock must not postpone them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog
from vouchers_shared.observability import metrics

from notification.domain.letters import Attempt, Letter, RoundEnd

log = structlog.get_logger()


class Channel(Protocol):
    async def send(self, letter: Letter) -> None: ...


class LetterStore(Protocol):
    """Where letters wait (the letters collection; see adapters/mongo_store.py)."""

    async def due_letters(self, now: datetime, limit: int = 50) -> list[dict[str, Any]]: ...

    async def claim_letters(
        self, letter_ids: Sequence[str], token: str, now: datetime, until: datetime
    ) -> list[dict[str, Any]]: ...

    async def record_attempt(self, letter_id: str, token: str, attempt: Attempt) -> None: ...

    async def release_letters(self, token: str, slots: Sequence[int], ends: Sequence[RoundEnd]) -> None: ...


ROUND_LETTERS = 50  # letters a round takes at most
ROUNDS_AT_MOST = 20  # rounds one call takes back to back while each is full
SENDS_AT_ONCE = 8  # letters of a round in flight together
LEASE_SPARE = 0.25  # a letter is tried only with this share of the round's lease still ahead


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between sending rounds of one letter: first, doubled, capped."""

    first_s: float = 1.0
    max_s: float = 300.0
    lease_s: float = 120.0

    def delay(self, failed_rounds: int) -> timedelta:
        exponent = min(max(failed_rounds - 1, 0), 30)
        return timedelta(seconds=min(self.first_s * 2**exponent, self.max_s))


def wall_clock() -> datetime:
    return datetime.now(UTC)


def letter_document(letter: Letter, letter_id: str, queued_at: datetime) -> dict[str, Any]:
    """The letters-collection document for a letter queued by a case."""
    return {
        "_id": letter_id,
        "application_id": letter.application_id,
        "kind": letter.kind,
        "decision_id": letter.decision_id,
        "letter": letter.model_dump(mode="json"),
        "sent": False,
        "sent_at": None,
        "channels_done": [],
        "attempts": [],
        "failed_rounds": 0,
        "next_attempt_at": queued_at,
        "claim": None,
    }


async def send_due(
    store: LetterStore,
    channels: Mapping[str, Channel],
    policy: RetryPolicy = RetryPolicy(),
    go_on: Callable[[], bool] = lambda: True,
) -> int:
    """Rounds over the due letters, back to back while each takes a full round's worth and
    `go_on` allows (at most ROUNDS_AT_MOST); returns how many were completely sent."""
    sent = 0
    for _ in range(ROUNDS_AT_MOST):
        done, taken = await _round(store, channels, policy)
        sent += done
        if taken < ROUND_LETTERS or not go_on():
            break
    return sent


async def _round(store: LetterStore, channels: Mapping[str, Channel], policy: RetryPolicy) -> tuple[int, int]:
    """One round: how many letters it completely sent, and how many it took."""
    now = wall_clock()
    due = await store.due_letters(now, ROUND_LETTERS)
    if not due:
        return 0, 0
    token, until = uuid.uuid4().hex, now + timedelta(seconds=policy.lease_s)
    claimed = await store.claim_letters([str(doc["_id"]) for doc in due], token, now, until)
    if not claimed:
        return 0, 0
    latest = until - timedelta(seconds=policy.lease_s * LEASE_SPARE)
    turn = asyncio.Semaphore(SENDS_AT_ONCE)

    async def send(doc: dict[str, Any]) -> RoundEnd:
        async with turn:
            if wall_clock() > latest:
                return RoundEnd(str(doc["_id"]), {})  # given up untried, for the next round
            return await _send_one(store, channels, policy, doc, token)

    outcomes = await asyncio.gather(*(send(doc) for doc in claimed), return_exceptions=True)
    ends = [o for o in outcomes if isinstance(o, RoundEnd)]
    await store.release_letters(token, claimed[0]["claim"]["slots"], ends)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome  # the store went away mid-round: its letters wait out their lease
    return sum(end.sent for end in ends), len(claimed)


async def _send_one(
    store: LetterStore, channels: Mapping[str, Channel], policy: RetryPolicy, doc: dict[str, Any], token: str
) -> RoundEnd:
    """Send a claimed letter through the channels it has not gone through; how its round ends."""
    letter_id = str(doc["_id"])
    letter = Letter.model_validate(doc["letter"])
    done = set(doc.get("channels_done", []))
    failed = False
    last: Attempt | None = None
    for name, channel in channels.items():
        if name in done:
            continue
        if last is not None:  # a delivered channel is on record before the next one is tried
            await store.record_attempt(letter_id, token, last)
        last = await _attempt(letter_id, letter, name, channel)
        failed |= last.delivered_via is None
    if failed:
        rounds = int(doc.get("failed_rounds", 0)) + 1
        next_at = wall_clock() + policy.delay(rounds)
        return RoundEnd(letter_id, {"failed_rounds": rounds, "next_attempt_at": next_at}, last)
    return RoundEnd(letter_id, {"sent": True, "sent_at": wall_clock()}, last)


async def _attempt(letter_id: str, letter: Letter, name: str, channel: Channel) -> Attempt:
    """Send through one channel; the attempt as it is to be logged."""
    at = wall_clock()
    try:
        await channel.send(letter)
    except Exception as exc:  # a channel is a side effect: log, retry later, never stop the round
        metrics.LETTERS.labels(kind=letter.kind, channel=name, result="failed").inc()
        log.warning(
            "letter_send_failed",
            application_id=letter.application_id,
            letter_id=letter_id,
            channel=name,
            error=str(exc),
        )
        return Attempt({"at": at, "channel": name, "outcome": "failed", "error": str(exc)[:500]}, None)
    metrics.LETTERS.labels(kind=letter.kind, channel=name, result="sent").inc()
    log.info(
        "letter_sent",
        application_id=letter.application_id,
        letter_id=letter_id,
        channel=name,
        kind=letter.kind,
    )
    return Attempt({"at": at, "channel": name, "outcome": "sent"}, name)
