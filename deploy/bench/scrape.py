"""The /metrics pages of the suite's processes, which the benchmark reads before and after a phase."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TypeVar

import httpx

K = TypeVar("K", bound=Hashable)


async def metrics_pages(urls: Iterable[str]) -> list[str]:
    """Each process's /metrics page, one after the other."""
    pages = []
    async with httpx.AsyncClient(timeout=30.0) as client:
        for url in urls:
            response = await client.get(f"{url}/metrics")
            response.raise_for_status()
            pages.append(response.text)
    return pages


def added_up(pages: Iterable[str], parse: Callable[[str], Mapping[K, list[float]]]) -> dict[K, list[float]]:
    """What `parse` reads of each page, row by row, added up over every process's page."""
    total: dict[K, list[float]] = {}
    for page in pages:
        for key, row in parse(page).items():
            total[key] = [a + b for a, b in zip(total.get(key, [0.0] * len(row)), row, strict=True)]
    return total
