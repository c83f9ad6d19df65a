"""What the console asks other services, server-side, with the signed-in member's own token:
the application as filed (intake) and the audit-consent records (verification).

Each answer is optional: a service that does not answer leaves its part of the page empty
with a note, never the page itself broken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

log = structlog.get_logger()
TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Upstream:
    intake_url: str
    verification_url: str

    async def _get(self, url: str, token: str, params: Mapping[str, str] | None = None) -> Any:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
                response = await client.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            log.warning("console_upstream_unreachable", url=url, error=str(exc))
            return None
        if response.status_code != 200:
            log.warning("console_upstream_refused", url=url, status=response.status_code)
            return None
        return response.json()

    async def application(self, application_id: str, token: str) -> dict[str, Any] | None:
        """Intake's `GET /v1/applications/{id}`: the filed application, checks and versions."""
        answer = await self._get(f"{self.intake_url}/v1/applications/{application_id}", token)
        return answer if isinstance(answer, dict) else None

    async def consents(self, application_id: str, token: str) -> list[dict[str, Any]] | None:
        """Verification's audit-consent records of the application."""
        answer = await self._get(
            f"{self.verification_url}/v1/consent-records", token, {"application_id": application_id}
        )
        return list(answer["items"]) if isinstance(answer, dict) and "items" in answer else None

    async def versions(self, application_ids: list[str], token: str) -> list[dict[str, str]]:
        """The reference-data versions each check of these applications was reached on."""
        views = await asyncio.gather(*(self.application(i, token) for i in application_ids))
        return [
            dict(check.get("refdata_versions") or {})
            for view in views
            if view
            for check in (view.get("checks") or {}).values()
        ]
