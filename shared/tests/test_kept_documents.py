"""Documents kept in memory: as the store gives them back, the most recently used kept within
the size, none older than asked for."""

from __future__ import annotations

from datetime import UTC, datetime

from vouchers_shared.kept import KeptDocuments


def test_a_kept_document_comes_back_as_a_read_gives_it() -> None:
    kept = KeptDocuments(2)
    kept.keep("a", {"_id": "a", "at": datetime(2026, 5, 20, 2, 0, 0, 123456, tzinfo=UTC)})
    assert kept.get("a") == {"_id": "a", "at": datetime(2026, 5, 20, 2, 0, 0, 123000, tzinfo=UTC)}
    assert kept.get("b") is None


def test_beyond_its_size_the_least_recently_used_goes() -> None:
    kept = KeptDocuments(2)
    kept.keep("a", {"_id": "a"})
    kept.keep("b", {"_id": "b"})
    assert kept.get("a") is not None  # used: "b" is now the oldest
    kept.keep("c", {"_id": "c"})
    assert ["a" in kept, "b" in kept, "c" in kept] == [True, False, True]


def test_one_kept_too_long_ago_is_not_given_and_goes() -> None:
    now = [0.0]
    kept = KeptDocuments(2, clock=lambda: now[0])
    kept.keep("a", {"_id": "a"})
    now[0] = 10.0
    assert kept.get("a", max_age_s=15) == {"_id": "a"}
    assert kept.get("a", max_age_s=5) is None
    assert "a" not in kept
