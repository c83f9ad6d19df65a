"""A dead-letter record: the original key, headers and bytes, with why and after how many
attempts it was parked, under an id that is the same whoever parks it."""

from __future__ import annotations

from datetime import UTC, datetime

from vouchers_shared.observability.logging import mask_text

DLQ_ID = "dlq_id"  # readers keep the first record of each id


def dead_letter_id(service: str, topic: str, partition: int, offset: int) -> str:
    """One consuming service's record: the same id each time it is parked, by any process."""
    return f"{service}/{topic}/{partition}/{offset}"


def dead_letter_headers(
    original: dict[str, str],
    *,
    service: str,
    topic: str,
    partition: int,
    offset: int,
    error: BaseException,
    attempts: int,
) -> dict[str, str]:
    return {
        **original,
        DLQ_ID: dead_letter_id(service, topic, partition, offset),
        "dlq_error": mask_text(str(error))[:2000],  # read by operators, kept for days
        "dlq_error_class": type(error).__name__,
        "dlq_attempts": str(attempts),
        "dlq_original_topic": topic,
        "dlq_service": service,
        "dlq_at": datetime.now(UTC).isoformat(),
    }
