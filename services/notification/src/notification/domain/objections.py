"""Objections as the public files them: who may be reached (`contact`) and why (`reason`).

The same contact giving the same reason about the same application is the same objection,
however it is spaced or cased: its id is derived from those three, so filing it again finds
the first one by id and stores nothing new.
"""

from __future__ import annotations

import hashlib
import unicodedata


def normal_contact(contact: str) -> str:
    """A contact as compared: compatibility forms folded (全角 to ASCII), case and spaces ignored."""
    return "".join(unicodedata.normalize("NFKC", contact).casefold().split())


def normal_reason(reason: str) -> str:
    """A reason as compared: compatibility forms folded, runs of white space made one space."""
    return " ".join(unicodedata.normalize("NFKC", reason).casefold().split())


def objection_id(application_id: str, contact: str, reason: str) -> str:
    """The id of an objection: the same for the same application, contact and reason."""
    basis = "\x1f".join((application_id, normal_contact(contact), normal_reason(reason)))
    return f"OBJ-{hashlib.sha256(basis.encode()).hexdigest()[:16].upper()}"
