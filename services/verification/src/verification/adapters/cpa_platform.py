"""CPA-platform adapters: reference data in local mode, the platform's HTTP API otherwise.

HTTP shape (what `HttpCpaPlatform` expects from the platform or a gateway in front of it):

    GET {base_url}/v1/qr/{qr_code}          (qr_code percent-encoded as one path segment)
    Authorization: Bearer <token>
    Accept: application/json

    200 {"registered": true, "uscc": "<USCC>", "fiscal_year": 2025}
        the code is registered, to that USCC and fiscal year
    200 {"registered": false}  or  404      the code is not registered
    429, 5xx, connection errors, timeouts   transient: retried with exponential backoff
    any other status, or a malformed body   PlatformProtocolError (not retried)

A code counts as registered for the query only when `registered` is true and both `uscc`
and `fiscal_year` match the applicant and the report's fiscal year.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError
from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from vouchers_shared.refdata import AuditReportItem

from verification.domain.model import QrAnswer, QrQuery
from verification.errors import PlatformProtocolError, PlatformUnavailable
from verification.ports import CpaPlatform

log = logging.getLogger(__name__)


class RefdataCpaPlatform:
    """Answers from the loaded `audit_reports` reference data: qr_code → (uscc, fiscal_year).

    A code the data registers twice differently (a snapshot loaded before such data was
    refused) cannot be answered either way: asked about it, the platform gives no answer, so
    that one check waits and then goes to an operator, and every other code still answers."""

    def __init__(self, registry: Mapping[str, tuple[str, int]], ambiguous: Iterable[str] = ()) -> None:
        self._registry = dict(registry)
        self._ambiguous = frozenset(ambiguous)

    @classmethod
    def from_items(cls, items: Iterable[AuditReportItem]) -> RefdataCpaPlatform:
        """Build from reference-data items; a code registered twice differently is set aside."""
        registry: dict[str, tuple[str, int]] = {}
        ambiguous: set[str] = set()
        for item in items:
            entry = (item.uscc, item.fiscal_year)
            if registry.setdefault(item.qr_code, entry) != entry:
                ambiguous.add(item.qr_code)
        for code in sorted(ambiguous):
            log.error(
                "audit_reports: QR code %r is registered to more than one USCC or fiscal "
                "year; it is answered as unavailable until the data is corrected",
                code,
            )
            del registry[code]
        return cls(registry, ambiguous)

    async def is_registered(self, qr_code: str, uscc: str, fiscal_year: int) -> bool:
        """True when the reference data registers the code to this USCC and fiscal year."""
        if qr_code in self._ambiguous:
            raise PlatformUnavailable(
                f"QR code {qr_code!r} is registered more than once, "
                "differently, in the audit_reports reference data"
            )
        return self._registry.get(qr_code) == (uscc, fiscal_year)


class _QrRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    registered: bool
    uscc: str | None = None
    fiscal_year: int | None = None


class _ServerBusy(Exception):
    """A 429 or 5xx answer: worth asking again."""


_TRANSIENT = (httpx.TransportError, TimeoutError, _ServerBusy)


class HttpCpaPlatform:
    """Asks the CPA platform over HTTP with explicit timeouts and bounded, backed-off retries."""

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout_s: float = 5.0,
        attempts: int = 3,
        *,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 8.0,
    ) -> None:
        if attempts < 1 or timeout_s <= 0:
            raise ValueError("attempts must be at least 1 and timeout_s positive")
        self._timeout_s = timeout_s
        self._attempts = attempts
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        base_url = str(self._client.base_url)
        return f"HttpCpaPlatform(base_url={base_url!r}, attempts={self._attempts})"

    async def __aenter__(self) -> HttpCpaPlatform:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def is_registered(self, qr_code: str, uscc: str, fiscal_year: int) -> bool:
        """True only on a 200 naming this USCC and fiscal year; raises when there is no answer."""
        record = await self._lookup(qr_code)
        return (
            record is not None
            and record.registered
            and record.uscc == uscc
            and record.fiscal_year == fiscal_year
        )

    async def _lookup(self, qr_code: str) -> _QrRecord | None:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=self._backoff_base_s, max=self._backoff_cap_s),
            retry=retry_if_exception_type(_TRANSIENT),
            before_sleep=before_sleep_log(log, logging.WARNING),
            reraise=True,
        )
        try:
            return await retrying(self._attempt, qr_code)
        except _TRANSIENT as exc:
            raise PlatformUnavailable(
                f"CPA platform gave no answer after {self._attempts} attempt(s): {exc!r}"
            ) from exc

    async def _attempt(self, qr_code: str) -> _QrRecord | None:
        """One request, bounded as a whole by the timeout (a trickling body cannot stall it)."""
        async with asyncio.timeout(self._timeout_s):
            response = await self._client.get(f"/v1/qr/{quote(qr_code, safe='')}")
        if response.status_code == httpx.codes.NOT_FOUND:
            return None
        if response.status_code == httpx.codes.TOO_MANY_REQUESTS or response.status_code >= 500:
            raise _ServerBusy(f"HTTP {response.status_code}")
        if response.status_code != httpx.codes.OK:
            raise PlatformProtocolError(f"CPA platform answered HTTP {response.status_code}")
        try:
            return _QrRecord.model_validate_json(response.content)
        except ValidationError as exc:
            raise PlatformProtocolError("CPA platform answered with a malformed body") from exc


async def _answer(platform: CpaPlatform, query: QrQuery) -> QrAnswer:
    try:
        registered = await platform.is_registered(query.qr_code, query.uscc, query.fiscal_year)
    except PlatformUnavailable as exc:
        log.warning("CPA platform unavailable for a QR query: %s", exc)
        return QrAnswer.UNAVAILABLE
    return QrAnswer.REGISTERED if registered else QrAnswer.NOT_REGISTERED


async def collect_answers(platform: CpaPlatform, queries: Sequence[QrQuery]) -> dict[str, QrAnswer]:
    """Ask the platform about each query at once; no answer becomes `QrAnswer.UNAVAILABLE`."""
    answers = await asyncio.gather(*(_answer(platform, q) for q in queries))
    return {q.qr_code: a for q, a in zip(queries, answers, strict=True)}
