"""Filing applications over HTTP, at full speed or at a fixed rate, and timing their verdicts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np

from deploy.bench.synthetic import Filing
from deploy.bench.watch import Stage, Watcher

PERCENTILES = (50, 95, 99)


CONNECTIONS_PER_CLIENT = 8


@dataclass
class Submission:
    sent: float  # wall clock when the first request went out
    answered: float = 0.0  # wall clock when the last answer came back
    status: int = 0
    application_id: str | None = None
    retries: int = 0  # 5xx answers and timeouts retried with the same Idempotency-Key


@dataclass(frozen=True)
class Prepared:
    body: bytes
    headers: dict[str, str]


def prepare(filings: Sequence[Filing], token_for: Callable[[str], str]) -> list[Prepared]:
    """Bodies, bearer tokens and idempotency keys, made before the clock starts."""
    return [
        Prepared(
            json.dumps(f.body, ensure_ascii=False).encode(),
            {
                "Authorization": f"Bearer {token_for(f.uscc)}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"bench-{f.uscc}",
            },
        )
        for f in filings
    ]


async def _file(client: httpx.AsyncClient, item: Prepared, attempts: int = 4) -> Submission:
    """POST; a 5xx or a timeout is tried again with the same key, as a careful client does."""
    sub = Submission(time.time())
    for attempt in range(attempts):
        try:
            response = await client.post("/v1/applications", content=item.body, headers=item.headers)
            sub.status = response.status_code
        except httpx.HTTPError:
            sub.status = -1
        if 0 < sub.status < 500:
            break
        sub.retries += 1
        await asyncio.sleep(0.2 * (attempt + 1))
    if sub.status == 202:
        sub.application_id = response.json()["application_id"]
    sub.answered = time.time()
    return sub


async def file_all(
    urls: Sequence[str],
    items: Sequence[Prepared],
    *,
    concurrency: int,
    rate: float | None,
    out: list[Submission],
) -> None:
    """File every item: `concurrency` requests in flight, or one every 1/`rate` seconds; spread
    over the intake processes at `urls` in turn, as a load balancer in front of them would.

    The requests go through several HTTP clients of a few connections each, as many clients
    would send them: one client's pool costs CPU per request that grows with its connections
    (about 8 ms per application with 64 in one pool), which the load generator would take from
    the suite it measures on the same cores."""
    count = max(len(urls), -(-concurrency // CONNECTIONS_PER_CLIENT))
    per_client = -(-max(concurrency, 256 if rate else concurrency) // count)
    limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=urls[k % len(urls)], limits=limits, timeout=120.0)
            )
            for k in range(count)
        ]

        async def file_one(client: httpx.AsyncClient, item: Prepared) -> None:
            out.append(await _file(client, item))

        if rate:
            start = time.monotonic()
            tasks = []
            for i, item in enumerate(items):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(file_one(clients[i % count], item)))
            await asyncio.gather(*tasks)
            return
        queue = iter(items)

        async def worker(client: httpx.AsyncClient) -> None:
            for item in queue:  # the shared iterator hands each item to one worker
                await file_one(client, item)

        await asyncio.gather(*(worker(clients[k % count]) for k in range(concurrency)))


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {f"p{p}": float("nan") for p in PERCENTILES}
    array = np.asarray(values)
    return {f"p{p}": round(float(np.percentile(array, p)), 4) for p in PERCENTILES}


def figures(
    subs: Sequence[Submission], watcher: Watcher, stages: Sequence[Stage], wall_s: float
) -> dict[str, Any]:
    """Throughput and latency of one phase, from the submissions and the verdicts seen."""
    names = [s.name for s in stages]
    accepted = [s for s in subs if s.status == 202 and s.application_id]
    done = [
        (s, watcher.first[s.application_id])
        for s in accepted
        if s.application_id in watcher.first and all(n in watcher.first[s.application_id] for n in names)
    ]
    last = [max(seen[n] for n in names) for _, seen in done]
    first_sent = min((s.sent for s in subs), default=0.0)
    span = (max(last) - first_sent) if last else float("nan")
    statuses: dict[str, int] = {}
    for s in subs:
        statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    return {
        "filed": len(subs),
        "http_status": statuses,
        "http_retries": sum(s.retries for s in subs),
        "completed": len(done),
        "incomplete": len(accepted) - len(done),
        "span_s": round(span, 3),
        "wall_s": round(wall_s, 3),
        "throughput_apps_per_s": round(len(done) / span, 2) if last and span > 0 else 0.0,
        "http_accept_rate_per_s": round(len(accepted) / (max(s.answered for s in accepted) - first_sent), 2)
        if accepted
        else 0.0,
        "latency_s": percentiles([t - s.answered for (s, _), t in zip(done, last, strict=True)]),
        "latency_from_request_s": percentiles([t - s.sent for (s, _), t in zip(done, last, strict=True)]),
        "http_response_s": percentiles([s.answered - s.sent for s in accepted]),
        "stage_from_request_s": {n: percentiles([seen[n] - s.sent for s, seen in done]) for n in names},
    }
