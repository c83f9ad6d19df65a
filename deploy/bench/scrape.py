"""The /metrics pages of the suite's processes, which the benchmark reads before and after a phase."""

from __future__ import annotations

from collections.abc import Iterable

import httpx


async def metrics_pages(urls: Iterable[str]) -> list[str]:
    """Each process's /metrics page, one after the other."""
    pages = []
    async with httpx.AsyncClient(timeout=30.0) as client:
        for url in urls:
            response = await client.get(f"{url}/metrics")
            response.raise_for_status()
            pages.append(response.text)
    return pages
