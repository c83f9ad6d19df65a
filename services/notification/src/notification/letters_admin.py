"""What operators do with a letter whose sending failed: have the sender try it again now.

A letter that failed waits out its backoff (`letter_sender.RetryPolicy`) before the next
round. Sending it now only moves its next attempt to the present, on the letter and on its
marker in `letters_due`, noting on the letter who asked: the sender's next round takes it,
under its lease, through the channels it has not yet gone through. Nothing is sent from
here, so a letter is never sent twice by asking twice. Times are wall-clock time, as the
sender's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vouchers_shared.errors import DomainRuleError

from notification.adapters.mongo_store import NotificationStore
from notification.letter_sender import wall_clock


class LetterNotFound(DomainRuleError):
    """No such letter."""


class LetterNotFailed(DomainRuleError):
    """The letter was sent, or has not failed yet: there is nothing to send again."""


def may_send_again(letter: Mapping[str, Any]) -> bool:
    """Unsent and failed at least once: an operator may have it sent again now."""
    return not letter.get("sent") and any(a.get("outcome") == "failed" for a in letter.get("attempts") or [])


async def send_again_now(
    store: NotificationStore, letter_id: str, by: str, now: datetime | None = None
) -> str:
    """Make a failed letter due now, recording who asked; returns its application id."""
    letter = await store.letters.find_one({"_id": letter_id})
    if letter is None:
        raise LetterNotFound(f"no letter {letter_id}")
    if not may_send_again(letter):
        raise LetterNotFailed(f"letter {letter_id} was sent or has not failed: nothing to send again")
    due = now or wall_clock()
    await store.letters_due.update_one({"_id": letter_id}, {"$set": {"next_attempt_at": due}}, upsert=True)
    await store.letters.update_one(
        {"_id": letter_id, "sent": False},
        {"$set": {"next_attempt_at": due}, "$push": {"sent_again": {"by": by, "at": due}}},
    )
    return str(letter["application_id"])
