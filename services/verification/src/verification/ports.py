"""The ports the verification service needs; adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from verification.domain.model import ConsentRecord


class CpaPlatform(Protocol):
    """The CPA supervision platform (注册会计师行业统一监管平台) that registers audit reports."""

    async def is_registered(self, qr_code: str, uscc: str, fiscal_year: int) -> bool:
        """True only when `qr_code` is registered for this USCC and fiscal year.

        Raises `verification.errors.PlatformUnavailable` when the platform gives no usable
        answer; never answers True or False in that case.
        """
        ...


class ConsentStore(Protocol):
    """Where consent records are kept, one per application and consent document."""

    async def record(self, record: ConsentRecord) -> bool:
        """Store the record; True when inserted, False when the same record was already there.

        Idempotent on (application_id, document_sha256), so a redelivered message is harmless.
        """
        ...

    async def list(
        self,
        *,
        applicant_uscc: str | None = None,
        application_id: str | None = None,
        limit: int = 100,
    ) -> Sequence[ConsentRecord]:
        """Records matching the filters, oldest `received_at` first, at most `limit`."""
        ...
